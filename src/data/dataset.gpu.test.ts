// Runs in the browser project (headless Chromium) though it needs no GPU: it proves the shipped
// slices are served by Vite from public/, fetched with progress, and that the bundled GPT-2
// encoding works in a browser worker as it does in node.
import { describe, expect, it } from 'vitest';
import { type LoadProgress, loadDataset, OPENWEBTEXT_PATH } from './dataset';
import fixture from './fixtures/openwebtext-train-first3.json';
import { gpt2Tokenizer } from './gpt2';

describe('data in the browser', () => {
  it('encodes the first three OpenWebText documents to the shipped ids inside a worker', async () => {
    const worker = new Worker(new URL('./fixtures/encode.worker.ts', import.meta.url), {
      type: 'module',
    });
    const ids = await new Promise<number[]>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<number[]>) => resolve(event.data);
      worker.onerror = (event) => reject(new Error(event.message));
      worker.postMessage(fixture.documents);
    });
    worker.terminate();
    expect(ids).toEqual(fixture.ids);
  });
  it('fetches the shipped GPT-2 slices with progress and the manifest numbers', async () => {
    const last = new Map<string, LoadProgress>();
    const data = await loadDataset(
      `${import.meta.env.BASE_URL}${OPENWEBTEXT_PATH}`,
      gpt2Tokenizer,
      {
        onProgress: (p) => last.set(p.file, p),
      },
    );
    expect(data.name).toBe('openwebtext');
    expect(data.train.tokens.length).toBe(1203184);
    expect(data.val.docStarts.length).toBe(426);
    expect(last.get('val.gpt2.bin')?.loaded).toBe(452220 * 2);
  });
});
