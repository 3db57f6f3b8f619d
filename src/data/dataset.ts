// A dataset is two token streams, train and val, each a flat array of ids in which every document
// is followed by the tokenizer's eosId (nanoGPT's train.bin/val.bin layout). A split is one
// stream, so nothing built on it (blocks, batches) can mix train and val documents.
import { DataError } from './errors';
import { END_OF_TEXT, type Tokenizer, type TokenizerName } from './tokenizerTypes';

export type Split = 'train' | 'val';
export type TokenArray = Uint8Array | Uint16Array | Uint32Array;

export interface TokenStream {
  split: Split;
  tokens: TokenArray;
  /** First position of each document, ascending; document d is [docStarts[d], docStarts[d+1]). */
  docStarts: Uint32Array;
}

export interface Dataset {
  name: string;
  tokenizer: Tokenizer;
  train: TokenStream;
  val: TokenStream;
}

/** How a split's file stores its tokens: raw little-endian ids, or UTF-8 text to encode. */
export type EntryFormat = 'uint16' | 'uint8' | 'text';

/** One split's file for one tokenizer, as listed in manifest.json. */
export interface ManifestEntry {
  file: string;
  format: EntryFormat;
  tokenizer: TokenizerName;
  /** Tokens in the split's stream, eos tokens included. */
  tokens: number;
  documents: number;
  sha256: string;
  source: string;
  licence: string;
}

export interface Manifest {
  name: string;
  description: string;
  splits: Record<Split, Partial<Record<TokenizerName, ManifestEntry>>>;
}

/** Where the shipped slices live under the app's base URL (Vite serves public/ at the root). */
export const OPENWEBTEXT_PATH = 'data/openwebtext/';

/** The stream of ids as given; checks the ids fit the vocabulary and the last one ends a document. */
export function tokenStream(split: Split, tokens: TokenArray, tokenizer: Tokenizer): TokenStream {
  const { eosId, vocabSize, name } = tokenizer;
  let documents = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] >= vocabSize) {
      throw new DataError(
        `The ${split} split has token id ${tokens[i]} at position ${i}, outside the ${name} vocabulary of ${vocabSize}: the file was made with another tokenizer; rebuild it with --tokenizer ${name}.`,
      );
    }
    if (tokens[i] === eosId) documents++;
  }
  if (tokens.length > 0 && tokens[tokens.length - 1] !== eosId) {
    throw new DataError(
      `The ${split} split does not end with the end-of-text id ${eosId}: the file is truncated or not a ${name} token file; rebuild it with npm run data.`,
    );
  }
  const docStarts = new Uint32Array(documents);
  for (let i = 0, d = 1; d < documents; i++) if (tokens[i] === eosId) docStarts[d++] = i + 1;
  return { split, tokens, docStarts };
}

/** Encodes documents into one stream, each followed by eos; ids stored in the narrowest array. */
export function encodeDocuments(
  split: Split,
  documents: readonly string[],
  tokenizer: Tokenizer,
): TokenStream {
  const encoded = documents.map((doc) => tokenizer.encode(doc));
  const length = encoded.reduce((n, ids) => n + ids.length + 1, 0);
  const tokens =
    tokenizer.vocabSize <= 1 << 8
      ? new Uint8Array(length)
      : tokenizer.vocabSize <= 1 << 16
        ? new Uint16Array(length)
        : new Uint32Array(length);
  let at = 0;
  for (const ids of encoded) {
    tokens.set(ids, at);
    at += ids.length;
    tokens[at++] = tokenizer.eosId;
  }
  return tokenStream(split, tokens, tokenizer);
}

/** The documents of a shipped .txt file: each is followed by END_OF_TEXT. */
export function splitDocuments(text: string): string[] {
  const docs = text.split(END_OF_TEXT);
  if (docs[docs.length - 1] === '') docs.pop();
  return docs;
}

/** Number of documents in a stream. */
export function documentCount(stream: TokenStream): number {
  return stream.docStarts.length;
}

/** The document holding position, and the position's offset inside it. */
export function documentAt(stream: TokenStream, position: number): { doc: number; offset: number } {
  const starts = stream.docStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid] <= position) lo = mid;
    else hi = mid - 1;
  }
  return { doc: lo, offset: position - starts[lo] };
}

/** A document's text, without its eos. */
export function documentText(stream: TokenStream, doc: number, tokenizer: Tokenizer): string {
  const start = stream.docStarts[doc];
  const end = doc + 1 < stream.docStarts.length ? stream.docStarts[doc + 1] : stream.tokens.length;
  return tokenizer.decode(stream.tokens.subarray(start, end - 1));
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A split's stream from its file's bytes, checked against what the manifest says of it. */
export async function streamFromEntry(
  split: Split,
  entry: ManifestEntry,
  bytes: Uint8Array<ArrayBuffer>,
  tokenizer: Tokenizer,
): Promise<TokenStream> {
  const hash = await sha256Hex(bytes);
  if (hash !== entry.sha256) {
    throw new DataError(
      `${entry.file} does not match manifest.json (sha256 ${hash}, expected ${entry.sha256}): the download was cut short or the file is a Git LFS pointer; fetch the file again.`,
    );
  }
  let stream: TokenStream;
  if (entry.format === 'text') {
    stream = encodeDocuments(split, splitDocuments(strictUtf8.decode(bytes)), tokenizer);
  } else if (entry.format === 'uint16') {
    if (bytes.byteLength % 2 !== 0) {
      throw new DataError(`${entry.file} has an odd number of bytes, so it is not uint16 ids.`);
    }
    stream = tokenStream(
      split,
      new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2),
      tokenizer,
    );
  } else {
    stream = tokenStream(split, bytes, tokenizer);
  }
  if (stream.tokens.length !== entry.tokens || documentCount(stream) !== entry.documents) {
    throw new DataError(
      `${entry.file} holds ${stream.tokens.length} tokens in ${documentCount(stream)} documents, but manifest.json says ${entry.tokens} in ${entry.documents}: rebuild the folder with npm run data.`,
    );
  }
  return stream;
}

export interface LoadProgress {
  file: string;
  loaded: number;
  /** From Content-Length; null when the server does not send it. */
  total: number | null;
}

export interface LoadOptions {
  onProgress?: (progress: LoadProgress) => void;
  fetch?: typeof fetch;
}

/** Fetches a file, reporting bytes as they arrive. */
export async function fetchBytes(
  url: string,
  file: string,
  { onProgress, fetch: fetchImpl = fetch }: LoadOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  let response: Response;
  try {
    response = await fetchImpl(url);
  } catch (error) {
    throw new DataError(
      `Could not fetch ${url} (${String(error)}): is the studio's server running?`,
    );
  }
  if (!response.ok) {
    throw new DataError(
      `Fetching ${url} failed with HTTP ${response.status}: the data folder is missing the file; check public/data or rebuild it with npm run data.`,
    );
  }
  const header = response.headers.get('Content-Length');
  const total = header === null ? null : Number(header);
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.({ file, loaded: bytes.byteLength, total: total ?? bytes.byteLength });
    return bytes;
  }
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.({ file, loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/**
 * Loads a data folder (manifest.json and one file per split) for a tokenizer. baseUrl ends with
 * '/' and is absolute or root-relative, e.g. `${import.meta.env.BASE_URL}${OPENWEBTEXT_PATH}`
 * (a relative URL in a worker would resolve against the worker script's URL).
 */
export async function loadDataset(
  baseUrl: string,
  tokenizer: Tokenizer,
  options: LoadOptions = {},
): Promise<Dataset> {
  const manifestBytes = await fetchBytes(`${baseUrl}manifest.json`, 'manifest.json', options);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as Manifest;
  const streams: Partial<Record<Split, TokenStream>> = {};
  for (const split of ['train', 'val'] as const) {
    const entry = manifest.splits?.[split]?.[tokenizer.name];
    if (!entry) {
      throw new DataError(
        `${baseUrl}manifest.json has no ${split} file for the ${tokenizer.name} tokenizer: choose another tokenizer or rebuild the folder with npm run data -- <input> <dir> --tokenizer ${tokenizer.name}.`,
      );
    }
    const bytes = await fetchBytes(`${baseUrl}${entry.file}`, entry.file, options);
    streams[split] = await streamFromEntry(split, entry, bytes, tokenizer);
  }
  return { name: manifest.name, tokenizer, train: streams.train!, val: streams.val! };
}
