// The pure half of `npm run data`: user text or JSONL in, the same files as the shipped slices out
// (train.<tokenizer>.bin, val.<tokenizer>.bin, manifest.json). scripts/data/prepare.mjs does the
// reading and writing.
import { Rng } from '../util/rng';
import {
  encodeDocuments,
  type Manifest,
  type ManifestEntry,
  type Split,
  sha256Hex,
} from './dataset';
import { DataError } from './errors';
import { END_OF_TEXT, type Tokenizer, type TokenizerName } from './tokenizerTypes';

export const USAGE =
  'usage: npm run data -- <input.txt|input.jsonl> <output-dir> [--tokenizer gpt2|byte] [--val-fraction F] [--field text]';

export interface PrepareOptions {
  input: string;
  outputDir: string;
  tokenizer: TokenizerName;
  /** Share of documents held out for val, in (0, 1). */
  valFraction: number;
  /** The JSONL field holding each document's text. */
  field: string;
}

// Text has almost no control characters besides tab, newline, form feed and carriage return;
// binary formats (images, archives, executables) are full of them.
const MAX_CONTROL_SHARE = 0.1;

// Seeds the choice of val documents, so the same input always splits the same way.
const SPLIT_SEED = 2357;

export function parseArgs(argv: readonly string[]): PrepareOptions {
  const positional: string[] = [];
  const options: PrepareOptions = {
    input: '',
    outputDir: '',
    tokenizer: 'gpt2',
    valFraction: 0.1,
    field: 'text',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new DataError(`${arg} needs a value.\n${USAGE}`);
    if (arg === '--tokenizer') {
      if (value !== 'gpt2' && value !== 'byte') {
        throw new DataError(`--tokenizer must be gpt2 or byte, not "${value}".\n${USAGE}`);
      }
      options.tokenizer = value;
    } else if (arg === '--val-fraction') {
      const f = Number(value);
      if (!(f > 0 && f < 1)) {
        throw new DataError(
          `--val-fraction must be a number between 0 and 1 (exclusive), not "${value}".`,
        );
      }
      options.valFraction = f;
    } else if (arg === '--field') {
      options.field = value;
    } else {
      throw new DataError(`Unknown option ${arg}.\n${USAGE}`);
    }
  }
  if (positional.length !== 2) {
    throw new DataError(`Expected an input file and an output folder.\n${USAGE}`);
  }
  [options.input, options.outputDir] = positional;
  return options;
}

/** Byte offset of the first byte that breaks UTF-8 (overlong, surrogate, > U+10FFFF, cut), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let extra: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      extra = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      extra = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      extra = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let cp = b & (0x3f >> extra);
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += extra + 1;
  }
  return -1;
}

/** The file as text; invalid UTF-8 is an error naming its line and byte. */
export function decodeUtf8(bytes: Uint8Array, fileName: string): string {
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    let line = 1;
    for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) line++;
    throw new DataError(
      `${fileName} is not valid UTF-8: line ${line}, byte ${bad} (0x${bytes[bad].toString(16).padStart(2, '0')}). Save it as UTF-8 and try again.`,
    );
  }
  const text = new TextDecoder('utf-8').decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Documents of a text file: separated by END_OF_TEXT when the file has it (the shipped layout),
 * otherwise by blank lines. Documents of only whitespace are dropped.
 */
export function parseTxt(text: string): string[] {
  const docs = text.includes(END_OF_TEXT)
    ? text.split(END_OF_TEXT)
    : text.split(/\r?\n(?:[ \t]*\r?\n)+/);
  return docs.filter((doc) => doc.trim() !== '');
}

/** Documents of a JSONL file: one JSON object per non-blank line, its text in `field`. */
export function parseJsonl(text: string, field: string, fileName: string): string[] {
  const docs: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new DataError(
        `${fileName} line ${i + 1} is not valid JSON (${(error as Error).message}).`,
      );
    }
    const value =
      typeof record === 'object' &&
      record !== null &&
      !Array.isArray(record) &&
      Object.hasOwn(record, field)
        ? (record as Record<string, unknown>)[field]
        : undefined;
    if (typeof value !== 'string') {
      throw new DataError(
        `${fileName} line ${i + 1} has no string field "${field}": every line must be an object like {"${field}": "..."}; name another field with --field.`,
      );
    }
    if (value.trim() !== '') docs.push(value);
  }
  return docs;
}

function isControl(b: number): boolean {
  return (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d) || b === 0x7f;
}

/** Refuses binary content: any NUL byte, or more than 10% control characters. */
export function checkNotBinary(bytes: Uint8Array, fileName: string): void {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new DataError(
      `${fileName} looks like a binary file (a NUL byte at byte ${nul}), not text: give a .txt, .md or .jsonl file.`,
    );
  }
  let control = 0;
  for (const b of bytes) if (isControl(b)) control++;
  if (control > MAX_CONTROL_SHARE * bytes.length) {
    throw new DataError(
      `${fileName} looks like a binary file (${((100 * control) / bytes.length).toFixed(0)}% control characters), not text: give a .txt, .md or .jsonl file.`,
    );
  }
}

/** The documents of an input file, by its extension (.jsonl, else text); binary files refused. */
export function readDocuments(bytes: Uint8Array, fileName: string, field: string): string[] {
  if (bytes.length === 0) throw new DataError(`${fileName} is empty: give a file with some text.`);
  checkNotBinary(bytes, fileName);
  const text = decodeUtf8(bytes, fileName);
  const docs = fileName.toLowerCase().endsWith('.jsonl')
    ? parseJsonl(text, field, fileName)
    : parseTxt(text);
  if (docs.length === 0) throw new DataError(`${fileName} has no documents with text in them.`);
  return docs;
}

/** Splits by document: round(n * valFraction) documents (at least 1) chosen by a fixed seed go to val. */
export function splitByDocument(
  docs: readonly string[],
  valFraction: number,
): Record<Split, string[]> {
  if (docs.length < 2) {
    throw new DataError(
      `The input has ${docs.length} document, but train and val need one each: separate documents with ${END_OF_TEXT} or a blank line (text) or put one per line (JSONL).`,
    );
  }
  const nVal = Math.min(docs.length - 1, Math.max(1, Math.round(docs.length * valFraction)));
  const order = docs.map((_, i) => i);
  const rng = new Rng(SPLIT_SEED);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const isVal = new Set(order.slice(0, nVal));
  return {
    train: docs.filter((_, i) => !isVal.has(i)),
    val: docs.filter((_, i) => isVal.has(i)),
  };
}

export interface PreparedFile {
  name: string;
  bytes: Uint8Array;
}

/** The files `npm run data` writes, from an input file's bytes. */
export async function prepare(
  bytes: Uint8Array,
  fileName: string,
  tokenizer: Tokenizer,
  options: Pick<PrepareOptions, 'valFraction' | 'field'>,
): Promise<{ files: PreparedFile[]; manifest: Manifest }> {
  const splits = splitByDocument(
    readDocuments(bytes, fileName, options.field),
    options.valFraction,
  );
  const files: PreparedFile[] = [];
  const entries: Partial<Record<Split, ManifestEntry>> = {};
  for (const split of ['train', 'val'] as const) {
    const stream = encodeDocuments(split, splits[split], tokenizer);
    // Little-endian on every platform the studio runs on, as the shipped .bin files are.
    const out = new Uint8Array(
      stream.tokens.buffer,
      stream.tokens.byteOffset,
      stream.tokens.byteLength,
    );
    const file = `${split}.${tokenizer.name}.bin`;
    files.push({ name: file, bytes: out });
    entries[split] = {
      file,
      format: stream.tokens.BYTES_PER_ELEMENT === 1 ? 'uint8' : 'uint16',
      tokenizer: tokenizer.name,
      tokens: stream.tokens.length,
      documents: splits[split].length,
      sha256: await sha256Hex(out),
      source: fileName,
      licence: 'as the input file',
    };
  }
  const name = fileName.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
  const manifest: Manifest = {
    name,
    description: `${splits.train.length} training and ${splits.val.length} validation documents of ${fileName}, split by document`,
    splits: { train: { [tokenizer.name]: entries.train }, val: { [tokenizer.name]: entries.val } },
  };
  files.push({
    name: 'manifest.json',
    bytes: new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
  });
  return { files, manifest };
}
