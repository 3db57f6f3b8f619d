// The user's tokenized text in IndexedDB, so it survives a reload without tokenizing again.
import { type Dataset, type TokenArray, tokenStream } from './dataset';
import type { Tokenizer, TokenizerName } from './tokenizerTypes';

const DB_NAME = 'studio-user-text';
const STORE = 'texts';
// One slot: loading a new file replaces the old one.
const KEY = 'current';

export interface StoredUserText {
  fileName: string;
  field: string;
  tokenizer: TokenizerName;
  documents: number;
  train: TokenArray;
  val: TokenArray;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function open(idb: IDBFactory): Promise<IDBDatabase> {
  const req = idb.open(DB_NAME, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(STORE);
  return request(req);
}

async function withStore<T>(
  idb: IDBFactory,
  mode: IDBTransactionMode,
  use: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await open(idb);
  try {
    const tx = db.transaction(STORE, mode);
    const result = await request(use(tx.objectStore(STORE)));
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    return result;
  } finally {
    db.close();
  }
}

/** Replaces the stored text; resolves once the write is committed. */
export async function saveUserText(
  text: StoredUserText,
  idb: IDBFactory = indexedDB,
): Promise<void> {
  await withStore(idb, 'readwrite', (store) => store.put(text, KEY));
}

/** The stored text, or undefined when none was saved. */
export async function loadUserText(
  idb: IDBFactory = indexedDB,
): Promise<StoredUserText | undefined> {
  return withStore(
    idb,
    'readonly',
    (store) => store.get(KEY) as IDBRequest<StoredUserText | undefined>,
  );
}

/** The stored token arrays as a dataset, checked as a shipped token file would be. */
export function datasetFromStored(text: StoredUserText, tokenizer: Tokenizer): Dataset {
  return {
    name: text.fileName,
    tokenizer,
    train: tokenStream('train', text.train, tokenizer),
    val: tokenStream('val', text.val, tokenizer),
  };
}
