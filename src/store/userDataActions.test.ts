import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_USER_TEXT_BYTES } from '../data/userText';
import { fakeRemote } from '../test/fakeWorker';
import type { StudioApi } from '../worker/client';
import type { TokenizeProgress, UserDataSummary } from '../worker/protocol';
import { setWorkerFactory } from './actions';
import { resetStudio, useStudio } from './store';
import { chooseData, loadUserFile, restoreUserData } from './userDataActions';

const summary = (fileName: string): UserDataSummary => ({
  fileName,
  field: 'text',
  tokenizer: 'byte',
  documents: 3,
  trainTokens: 50,
  valTokens: 11,
});

// The worker's side of user text: files named bad* are refused as the real worker refuses them.
function fakeWorker() {
  const calls: { loaded: string[]; used: string[] } = { loaded: [], used: [] };
  const fake: Partial<StudioApi> = {
    loadUserText: async (
      bytes: Uint8Array,
      fileName: string,
      _field: string,
      _tokenizer: string,
      onProgress: (p: TokenizeProgress) => void,
    ) => {
      calls.loaded.push(fileName);
      if (fileName.startsWith('bad'))
        throw new Error(`${fileName} is empty: give a file with some text.`);
      onProgress({ documents: 3, total: 3 });
      // Comlink's callback port is not ordered with the reply: progress can land after it.
      if (fileName.startsWith('late')) setTimeout(() => onProgress({ documents: 1, total: 3 }), 0);
      expect(bytes.length).toBeGreaterThan(0);
      return summary(fileName);
    },
    listUserData: async () => ({ choice: 'user', texts: [summary('saved.txt')] }),
    useData: async (name: string) => {
      calls.used.push(name);
      return name === 'openwebtext' ? 'openwebtext' : 'user';
    },
  };
  return { factory: () => fakeRemote(fake), calls };
}

describe('user text actions', () => {
  beforeEach(resetStudio);
  afterEach(resetStudio);

  it('a progress message arriving after the load ended does not leave the loader busy', async () => {
    setWorkerFactory(fakeWorker().factory);
    await loadUserFile(new File(['a\n\nb'], 'late.txt'), 'text');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(useStudio.getState().userText.loading).toBeUndefined();
    expect(useStudio.getState().userText.summary?.fileName).toBe('late.txt');
  });

  it('a loaded file becomes the data choice; a refused one sets the error and keeps it', async () => {
    const { factory, calls } = fakeWorker();
    setWorkerFactory(factory);
    await loadUserFile(new File(['a\n\nb\n\nc'], 'good.txt'), 'text');
    expect(useStudio.getState().dataChoice).toBe('user');
    expect(useStudio.getState().userText.summary?.fileName).toBe('good.txt');

    await loadUserFile(new File([''], 'bad.txt'), 'text');
    const { userText, dataChoice } = useStudio.getState();
    expect(userText.error).toBe('bad.txt is empty: give a file with some text.');
    expect(userText.summary?.fileName).toBe('good.txt');
    expect(userText.loading).toBeUndefined();
    expect(dataChoice).toBe('user');
    expect(calls.loaded).toEqual(['good.txt', 'bad.txt']);
  });

  it('a file over the size limit is refused before its bytes go to the worker', async () => {
    const { factory, calls } = fakeWorker();
    setWorkerFactory(factory);
    const big = { name: 'huge.txt', size: MAX_USER_TEXT_BYTES + 1 } as File;
    await loadUserFile(big, 'text');
    expect(useStudio.getState().userText.error).toContain('over the limit of 50 MiB');
    expect(calls.loaded).toEqual([]);
  });

  it('restores the saved text and its choice, and switching back asks the worker', async () => {
    const { factory, calls } = fakeWorker();
    setWorkerFactory(factory);
    await restoreUserData();
    expect(useStudio.getState().dataChoice).toBe('user');
    expect(useStudio.getState().userText.summary?.fileName).toBe('saved.txt');
    await chooseData('openwebtext');
    expect(useStudio.getState().dataChoice).toBe('openwebtext');
    expect(calls.used).toEqual(['openwebtext']);
  });
});
