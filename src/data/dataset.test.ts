import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  documentAt,
  documentText,
  encodeDocuments,
  fetchBytes,
  type LoadProgress,
  loadDataset,
  type Manifest,
  type ManifestEntry,
  sha256Hex,
  splitDocuments,
  streamFromEntry,
  tokenStream,
} from './dataset';
import { DataError } from './errors';
import { gpt2Tokenizer } from './gpt2';
import { byteTokenizer } from './tokenizer';
import { END_OF_TEXT } from './tokenizerTypes';

const SHIPPED = new URL('../../public/data/openwebtext/', import.meta.url);
const shippedManifest = JSON.parse(
  readFileSync(new URL('manifest.json', SHIPPED), 'utf8'),
) as Manifest;

/** A fetch over a folder on disk, sending the body in 64 KiB chunks with Content-Length. */
function diskFetch(folder: URL): typeof fetch {
  return (async (input: string | URL | Request) => {
    const name = String(input).replace(/^.*\//, '');
    let bytes: Buffer;
    try {
      bytes = readFileSync(new URL(name, folder));
    } catch {
      return new Response('not found', { status: 404 });
    }
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 65536) {
          controller.enqueue(new Uint8Array(bytes.subarray(at, at + 65536)));
        }
        controller.close();
      },
    });
    return new Response(body, { headers: { 'Content-Length': String(bytes.length) } });
  }) as typeof fetch;
}

describe('token streams', () => {
  it('finds each document start from the eos ids', () => {
    const s = tokenStream('train', Uint8Array.from([1, 2, 255, 3, 255, 255]), byteTokenizer);
    expect(Array.from(s.docStarts)).toEqual([0, 3, 5]);
  });
  it('rejects an id outside the vocabulary, naming it and its position', () => {
    expect(() => tokenStream('val', Uint16Array.from([5, 300, 255]), byteTokenizer)).toThrow(
      /val split has token id 300 at position 1, outside the byte vocabulary of 256/,
    );
  });
  it('rejects a stream whose last token does not end a document', () => {
    expect(() => tokenStream('train', Uint8Array.from([1, 255, 2]), byteTokenizer)).toThrow(
      DataError,
    );
  });
  it('encodes documents each followed by eos, in the narrowest array', () => {
    const s = encodeDocuments('train', ['ab', 'é'], byteTokenizer);
    expect(s.tokens).toBeInstanceOf(Uint8Array);
    expect(Array.from(s.tokens)).toEqual([97, 98, 255, 0xc3, 0xa9, 255]);
    expect(encodeDocuments('train', ['ab'], gpt2Tokenizer).tokens).toBeInstanceOf(Uint16Array);
  });
  it('maps a position to its document and offset, and gives a document its text', () => {
    const s = encodeDocuments('val', ['hello', 'wörld', 'x'], byteTokenizer);
    expect(documentAt(s, 0)).toEqual({ doc: 0, offset: 0 });
    expect(documentAt(s, 5)).toEqual({ doc: 0, offset: 5 });
    expect(documentAt(s, 6)).toEqual({ doc: 1, offset: 0 });
    expect(documentAt(s, s.tokens.length - 1)).toEqual({ doc: 2, offset: 1 });
    expect(documentText(s, 1, byteTokenizer)).toBe('wörld');
    expect(documentText(s, 2, byteTokenizer)).toBe('x');
  });
  it('splits a shipped text file into its documents', () => {
    expect(splitDocuments(`a${END_OF_TEXT}b\n${END_OF_TEXT}`)).toEqual(['a', 'b\n']);
  });
});

describe('manifest entries', () => {
  const bytes = new Uint8Array(Buffer.from(`hi${END_OF_TEXT}yo${END_OF_TEXT}`));
  const entry = async (over: Partial<ManifestEntry>): Promise<ManifestEntry> => ({
    file: 'x.txt',
    format: 'text',
    tokenizer: 'byte',
    tokens: 6,
    documents: 2,
    sha256: await sha256Hex(bytes),
    source: 'test',
    licence: 'test',
    ...over,
  });
  it('builds the byte stream of a text file', async () => {
    const s = await streamFromEntry('train', await entry({}), bytes, byteTokenizer);
    expect(byteTokenizer.decode(s.tokens)).toBe(`hi${END_OF_TEXT}yo${END_OF_TEXT}`);
  });
  it('rejects a file whose sha256 differs from the manifest', async () => {
    await expect(
      streamFromEntry('train', await entry({ sha256: '0'.repeat(64) }), bytes, byteTokenizer),
    ).rejects.toThrow(/x.txt does not match manifest.json .*Git LFS pointer/);
  });
  it('rejects a file whose token count differs from the manifest', async () => {
    await expect(
      streamFromEntry('train', await entry({ tokens: 7 }), bytes, byteTokenizer),
    ).rejects.toThrow(/holds 6 tokens in 2 documents, but manifest.json says 7 in 2/);
  });
});

// Hashes and tokenizes ~10 MB: seconds, more when the machine is shared.
describe('the shipped OpenWebText slices', { timeout: 60_000 }, () => {
  for (const split of ['train', 'val'] as const) {
    it(`${split}: manifest numbers and hashes match the files`, () => {
      const gpt2 = shippedManifest.splits[split].gpt2!;
      const bin = readFileSync(new URL(gpt2.file, SHIPPED));
      const ids = new Uint16Array(bin.buffer, bin.byteOffset, bin.byteLength / 2);
      expect(createHash('sha256').update(bin).digest('hex')).toBe(gpt2.sha256);
      expect(ids.length).toBe(gpt2.tokens);
      expect(ids.filter((id) => id === 50256).length).toBe(gpt2.documents);

      const byte = shippedManifest.splits[split].byte!;
      const txt = readFileSync(new URL(byte.file, SHIPPED));
      const docs = txt.toString('utf8').split(END_OF_TEXT);
      expect(createHash('sha256').update(txt).digest('hex')).toBe(byte.sha256);
      expect(docs.pop()).toBe('');
      expect(docs.length).toBe(byte.documents);
      expect(byte.documents).toBe(gpt2.documents);
      expect(txt.length - (END_OF_TEXT.length - 1) * docs.length).toBe(byte.tokens);
    });
  }

  it('loads for the GPT-2 tokenizer with byte progress up to Content-Length', async () => {
    const progress: LoadProgress[] = [];
    const data = await loadDataset('/data/openwebtext/', gpt2Tokenizer, {
      fetch: diskFetch(SHIPPED),
      onProgress: (p) => progress.push(p),
    });
    expect(data.train.tokens.length).toBe(shippedManifest.splits.train.gpt2!.tokens);
    expect(data.val.docStarts.length).toBe(shippedManifest.splits.val.gpt2!.documents);
    const last = progress.filter((p) => p.file === 'train.gpt2.bin').at(-1)!;
    expect(progress.filter((p) => p.file === 'train.gpt2.bin').length).toBeGreaterThan(1);
    expect(last.loaded).toBe(last.total);
    expect(last.total).toBe(data.train.tokens.byteLength);
  });

  it('loads for the byte tokenizer from the text, documents matching the GPT-2 ones', async () => {
    const data = await loadDataset('/data/openwebtext/', byteTokenizer, {
      fetch: diskFetch(SHIPPED),
    });
    expect(data.val.tokens.length).toBe(shippedManifest.splits.val.byte!.tokens);
    const gpt2Val = readFileSync(new URL('val.gpt2.bin', SHIPPED));
    const ids = new Uint16Array(gpt2Val.buffer, gpt2Val.byteOffset, gpt2Val.byteLength / 2);
    const gpt2Stream = tokenStream('val', ids, gpt2Tokenizer);
    expect(documentText(data.val, 7, byteTokenizer)).toBe(
      documentText(gpt2Stream, 7, gpt2Tokenizer),
    );
  });
});

describe('fetching', () => {
  it('says which file is missing when the server answers 404', async () => {
    await expect(
      fetchBytes('/nope/train.bin', 'train.bin', { fetch: diskFetch(SHIPPED) }),
    ).rejects.toThrow(/Fetching \/nope\/train.bin failed with HTTP 404/);
  });
  it('reports total null when the server sends no Content-Length', async () => {
    const seen: LoadProgress[] = [];
    const noLength = (async () =>
      new Response(new Blob([new Uint8Array(10)]).stream())) as unknown as typeof fetch;
    const bytes = await fetchBytes('/x', 'x', { fetch: noLength, onProgress: (p) => seen.push(p) });
    expect(bytes.length).toBe(10);
    expect(seen.at(-1)).toEqual({ file: 'x', loaded: 10, total: null });
  });
  it('names the tokenizer a data folder lacks', async () => {
    const manifest: Manifest = {
      name: 'm',
      description: '',
      splits: { train: { gpt2: shippedManifest.splits.train.gpt2 }, val: {} },
    };
    const onlyManifest = (async () =>
      new Response(JSON.stringify(manifest))) as unknown as typeof fetch;
    await expect(loadDataset('/m/', byteTokenizer, { fetch: onlyManifest })).rejects.toThrow(
      /has no train file for the byte tokenizer/,
    );
  });
});
