// The data a run trains on: the shipped OpenWebText slice per tokenizer (fetched once), or the
// user's own text (tokenized here, kept in IndexedDB), and which of the two is chosen.
import type { RunSettings } from '../checkpoint/format';
import { type Dataset, loadDataset, OPENWEBTEXT_PATH } from '../data/dataset';
import { DataError } from '../data/errors';
import { loadTokenizer } from '../data/tokenizer';
import { userDataset, userTextDocuments } from '../data/userText';
import {
  datasetFromStored,
  loadUserText as loadStoredUserText,
  saveUserText,
} from '../data/userTextStore';
import type { TokenizerName } from '../model/config';
import { errorMessage } from './errorMessage';
import type {
  DataChoice,
  DataProgress,
  DataSummary,
  TokenizeProgress,
  UserDataSummary,
} from './protocol';

// One load per tokenizer for the worker's lifetime; a failed load is forgotten so it can be retried.
const datasets = new Map<TokenizerName, Promise<Dataset>>();
// The user's own text, once loaded or restored from IndexedDB, and which data a run trains on.
let userData: { dataset: Dataset; summary: UserDataSummary } | undefined;
let restored: Promise<void> | undefined;
let choice: DataChoice = 'openwebtext';

/** The shipped OpenWebText slice with this tokenizer. */
export function dataset(
  tokenizer: TokenizerName,
  onProgress?: (p: DataProgress) => void,
): Promise<Dataset> {
  let loading = datasets.get(tokenizer);
  if (!loading) {
    loading = loadTokenizer(tokenizer).then((t) =>
      loadDataset(`${import.meta.env.BASE_URL}${OPENWEBTEXT_PATH}`, t, { onProgress }),
    );
    datasets.set(tokenizer, loading);
    loading.catch(() => datasets.delete(tokenizer));
  }
  return loading;
}

function userSummary(d: Dataset, field: string, documents: number): UserDataSummary {
  return {
    fileName: d.name,
    field,
    tokenizer: d.tokenizer.name,
    documents,
    trainTokens: d.train.tokens.length,
    valTokens: d.val.tokens.length,
  };
}

/** Reads the text saved by an earlier visit (once); a saved text becomes the data choice. */
function restoreUserData(): Promise<void> {
  restored ??= (async () => {
    const stored = await loadStoredUserText();
    if (!stored || userData) return;
    const d = datasetFromStored(stored, await loadTokenizer(stored.tokenizer));
    userData = { dataset: d, summary: userSummary(d, stored.field, stored.documents) };
    choice = 'user';
  })().catch(() => {
    // No IndexedDB (e.g. a private window) or an unreadable entry: start without saved text.
  });
  return restored;
}

/** The user's text, restored from an earlier visit if need be; undefined when there is none. */
export async function userText(): Promise<Dataset | undefined> {
  await restoreUserData();
  return userData?.dataset;
}

/** The chosen data for a run with this tokenizer. */
export async function chosenData(
  tokenizer: TokenizerName,
  onProgress?: (p: DataProgress) => void,
): Promise<Dataset> {
  await restoreUserData();
  if (choice === 'openwebtext') return dataset(tokenizer, onProgress);
  if (!userData)
    throw new DataError('No text of yours is loaded: drop a file or choose OpenWebText.');
  const d = userData.dataset;
  if (d.tokenizer.name !== tokenizer) {
    throw new DataError(
      `${d.name} was tokenized with the ${d.tokenizer.name} tokenizer, but this preset uses ${tokenizer}: load the file again with this preset chosen, or pick a ${d.tokenizer.name} preset.`,
    );
  }
  return d;
}

/** What a checkpoint records of the data its run trains on (the current choice by default). */
export function dataRecord(d: Dataset, as: DataChoice = choice): RunSettings['data'] {
  return {
    choice: as,
    name: d.name,
    trainTokens: d.train.tokens.length,
    valTokens: d.val.tokens.length,
  };
}

/** The data a checkpoint's run trained on, as loaded now; throws a DataError if it changed. */
export async function dataOf(settings: RunSettings): Promise<Dataset> {
  const want = settings.data;
  await restoreUserData();
  const d =
    want.choice === 'openwebtext'
      ? await dataset(settings.tokenizer)
      : userData?.summary.fileName === want.name
        ? userData.dataset
        : undefined;
  if (!d) {
    throw new DataError(
      `This run trained on your text ${want.name}, which is not loaded now: choose "Your text", load ${want.name} again, then resume.`,
    );
  }
  const have = dataRecord(d, want.choice);
  if (have.trainTokens !== want.trainTokens || d.tokenizer.name !== settings.tokenizer) {
    throw new DataError(
      `This run trained on ${want.name} with ${want.trainTokens} training tokens (${settings.tokenizer} tokenizer), but ${d.name} now has ${have.trainTokens} (${d.tokenizer.name}): load the same text with the same tokenizer, then resume.`,
    );
  }
  return d;
}

export const dataApi = {
  /**
   * Fetches the shipped OpenWebText slice for a tokenizer (once; later calls reuse it),
   * reporting bytes as they arrive.
   */
  async loadData(
    tokenizer: TokenizerName,
    onProgress: (p: DataProgress) => void,
  ): Promise<DataSummary> {
    const d = await chosenData(tokenizer, onProgress);
    return {
      name: d.name,
      tokenizer,
      trainTokens: d.train.tokens.length,
      valTokens: d.val.tokens.length,
      trainDocuments: d.train.docStarts.length,
    };
  },

  /**
   * Validates a user's file, tokenizes it (reporting per batch of documents), saves it to
   * IndexedDB and makes it the data choice. Any problem throws before the text loaded before is
   * touched.
   */
  async loadUserText(
    bytes: Uint8Array,
    fileName: string,
    field: string,
    tokenizer: TokenizerName,
    onProgress: (p: TokenizeProgress) => void,
  ): Promise<UserDataSummary> {
    await restoreUserData();
    const docs = userTextDocuments(bytes, fileName, field);
    const d = userDataset(docs, fileName, await loadTokenizer(tokenizer), onProgress);
    try {
      await saveUserText({
        fileName,
        field,
        tokenizer,
        documents: docs.length,
        train: d.train.tokens,
        val: d.val.tokens,
      });
    } catch (e) {
      throw new DataError(
        `${fileName} could not be saved in the browser's storage (${errorMessage(e)}): free some disk space or leave private browsing, then try again.`,
      );
    }
    userData = { dataset: d, summary: userSummary(d, field, docs.length) };
    choice = 'user';
    return userData.summary;
  },

  /** The user's saved text (restored from IndexedDB on first call) and the current choice. */
  async listUserData(): Promise<{ choice: DataChoice; texts: UserDataSummary[] }> {
    await restoreUserData();
    return { choice, texts: userData ? [userData.summary] : [] };
  },

  /** Trains the next run on the shipped OpenWebText or on the user's text of that file name. */
  async useData(name: DataChoice | string): Promise<DataChoice> {
    await restoreUserData();
    if (name === 'openwebtext') choice = 'openwebtext';
    else if (userData && (name === 'user' || name === userData.summary.fileName)) choice = 'user';
    else throw new DataError(`No loaded text is called ${name}.`);
    return choice;
  },
};
