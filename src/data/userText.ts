// A user's own file as training data: checked fully before anything already loaded is replaced,
// then split by document and tokenized in batches so the page can show progress.
import {
  type Dataset,
  encodeDocuments,
  type Split,
  type TokenStream,
  tokenStream,
} from './dataset';
import { DataError } from './errors';
import { readDocuments, splitByDocument } from './prepare';
import type { Tokenizer } from './tokenizerTypes';

/** Largest file accepted: its bytes are copied to the worker and its tokens kept in IndexedDB. */
export const MAX_USER_TEXT_BYTES = 50 * 1024 * 1024;
export const USER_TEXT_ACCEPT = '.txt,.md,.jsonl';
export const USER_VAL_FRACTION = 0.1;
/** Documents tokenized between two progress reports. */
const BATCH_DOCUMENTS = 64;
/** Refuses a file by size alone, before its bytes are read. */
export function checkUserTextSize(size: number, fileName: string): void {
  if (size > MAX_USER_TEXT_BYTES) {
    throw new DataError(
      `${fileName} is ${(size / 2 ** 20).toFixed(1)} MiB, over the limit of ${MAX_USER_TEXT_BYTES / 2 ** 20} MiB: use a smaller part of it.`,
    );
  }
}

/** The documents of a user's file, or a DataError saying what is wrong with it. */
export function userTextDocuments(bytes: Uint8Array, fileName: string, field: string): string[] {
  checkUserTextSize(bytes.length, fileName);
  return readDocuments(bytes, fileName, field);
}

export interface TokenizeProgress {
  documents: number;
  total: number;
}

/** One split's stream, encoded BATCH_DOCUMENTS at a time with a report after each batch. */
function encodeInBatches(
  split: Split,
  docs: readonly string[],
  tokenizer: Tokenizer,
  report: (documents: number) => void,
): TokenStream {
  const parts: TokenStream['tokens'][] = [];
  let length = 0;
  for (let i = 0; i < docs.length; i += BATCH_DOCUMENTS) {
    const part = encodeDocuments(split, docs.slice(i, i + BATCH_DOCUMENTS), tokenizer).tokens;
    parts.push(part);
    length += part.length;
    report(Math.min(docs.length, i + BATCH_DOCUMENTS));
  }
  const tokens = new (parts[0].constructor as Uint8ArrayConstructor)(length);
  let at = 0;
  for (const part of parts) {
    tokens.set(part, at);
    at += part.length;
  }
  return tokenStream(split, tokens, tokenizer);
}

/** A dataset from a user's documents: 10% of them (at least one) held out for val. */
export function userDataset(
  docs: readonly string[],
  fileName: string,
  tokenizer: Tokenizer,
  onProgress: (p: TokenizeProgress) => void = () => {},
): Dataset {
  const splits = splitByDocument(docs, USER_VAL_FRACTION);
  const total = docs.length;
  const train = encodeInBatches('train', splits.train, tokenizer, (n) =>
    onProgress({ documents: n, total }),
  );
  const val = encodeInBatches('val', splits.val, tokenizer, (n) =>
    onProgress({ documents: splits.train.length + n, total }),
  );
  return { name: fileName, tokenizer, train, val };
}

/**
 * Why the val split cannot give one evaluation batch (validateSettings checks only train), or
 * undefined. A small file's val split, a tenth of its documents, is the likely one to fall short.
 */
export function valSplitProblem(
  dataset: Dataset,
  batchSize: number,
  blockSize: number,
): string | undefined {
  const needs = batchSize * blockSize + 1;
  const has = dataset.val.tokens.length;
  if (has >= needs) return undefined;
  return `The validation split of ${dataset.name} has ${has} tokens, fewer than the ${needs} one batch of ${batchSize} blocks of block_size ${blockSize} needs: lower block_size or batch size, set eval_interval to 0, or add text (a tenth of the documents go to validation).`;
}
