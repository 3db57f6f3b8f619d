// The data section's actions: the user's own text (dropped, tokenized and kept by the worker)
// and the choice between it and the shipped OpenWebText.
import { checkUserTextSize } from '../data/userText';
import { callback } from '../worker/client';
import { errorMessage as message } from '../worker/errorMessage';
import type { DataChoice } from '../worker/protocol';
import { currentWorker as worker } from './actions';
import { revalidate } from './settingsActions';
import { settingsFromForm } from './settingsForm';
import { useStudio } from './store';

/** The data summary validated the form against; stale once the data choice changes. */
function forgetDataSummary(): void {
  useStudio.setState((s) => ({ data: { ...s.data, summary: undefined, error: undefined } }));
  revalidate();
}

/** Asks the worker for text saved by an earlier visit; a saved text is chosen again. */
export async function restoreUserData(): Promise<void> {
  try {
    const { choice, texts } = await worker().listUserData();
    // The user may have chosen or dropped something while the worker started: that wins.
    useStudio.setState((s) => ({
      dataChoice: s.dataChoice === 'user' ? 'user' : choice,
      userText: { ...s.userText, summary: s.userText.summary ?? texts[0] },
    }));
  } catch (e) {
    useStudio.setState((s) => ({ userText: { ...s.userText, error: message(e) } }));
  }
}

/** Picks the data the next run trains on. */
export async function chooseData(choice: DataChoice): Promise<void> {
  if (choice === 'user' && !useStudio.getState().userText.summary) {
    // Nothing loaded yet: show the drop zone; the worker switches once a file is loaded.
    useStudio.setState({ dataChoice: choice });
    return;
  }
  try {
    useStudio.setState({ dataChoice: await worker().useData(choice) });
    forgetDataSummary();
  } catch (e) {
    useStudio.setState((s) => ({ userText: { ...s.userText, error: message(e) } }));
  }
}

/**
 * Reads a dropped or picked file and has the worker check, tokenize and save it for the current
 * preset's tokenizer. A refused file only sets the error: the text loaded before stays.
 */
export async function loadUserFile(file: File, field: string): Promise<void> {
  const s = useStudio.getState();
  const tokenizer = settingsFromForm(s.presetId, s.form, s.tokenizer).tokenizer;
  useStudio.setState((st) => ({
    userText: {
      ...st.userText,
      error: undefined,
      loading: { fileName: file.name, progress: { documents: 0, total: 0 } },
    },
  }));
  // Progress comes over comlink's callback port, which is not ordered with the reply: a late
  // progress message must not bring the loading state back after the load ended.
  let ended = false;
  try {
    // Before reading: a huge file would be copied to the worker only to be refused there.
    checkUserTextSize(file.size, file.name);
    const bytes = new Uint8Array(await file.arrayBuffer());
    const summary = await worker().loadUserText(
      bytes,
      file.name,
      field,
      tokenizer,
      callback((progress) => {
        if (ended) return;
        useStudio.setState((st) => ({
          userText: { ...st.userText, loading: { fileName: file.name, progress } },
        }));
      }),
    );
    ended = true;
    useStudio.setState({
      dataChoice: 'user',
      userText: { summary, loading: undefined, error: undefined },
    });
    forgetDataSummary();
  } catch (e) {
    ended = true;
    useStudio.setState((st) => ({
      userText: { ...st.userText, loading: undefined, error: message(e) },
    }));
  }
}
