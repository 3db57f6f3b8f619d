import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { documentText, type Split, streamFromEntry } from './dataset';
import { DataError } from './errors';
import { gpt2Tokenizer } from './gpt2';
import {
  decodeUtf8,
  firstInvalidUtf8,
  parseArgs,
  parseJsonl,
  parseTxt,
  prepare,
  readDocuments,
  splitByDocument,
} from './prepare';
import { byteTokenizer } from './tokenizer';
import { END_OF_TEXT } from './tokenizerTypes';

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('data CLI arguments', () => {
  it('takes input, output and the options, with gpt2, 0.1 and text as defaults', () => {
    expect(parseArgs(['in.txt', 'out'])).toEqual({
      input: 'in.txt',
      outputDir: 'out',
      tokenizer: 'gpt2',
      valFraction: 0.1,
      field: 'text',
    });
    expect(
      parseArgs([
        '--tokenizer',
        'byte',
        'a.jsonl',
        '--val-fraction',
        '0.25',
        'o',
        '--field',
        'body',
      ]),
    ).toEqual({
      input: 'a.jsonl',
      outputDir: 'o',
      tokenizer: 'byte',
      valFraction: 0.25,
      field: 'body',
    });
  });
  it('rejects a bad tokenizer, fraction, option or missing folder with the usage', () => {
    expect(() => parseArgs(['a', 'b', '--tokenizer', 'bpe'])).toThrow(
      /--tokenizer must be gpt2 or byte/,
    );
    expect(() => parseArgs(['a', 'b', '--val-fraction', '0'])).toThrow(/between 0 and 1/);
    expect(() => parseArgs(['a', 'b', '--val-fraction', 'x'])).toThrow(/between 0 and 1/);
    expect(() => parseArgs(['a', 'b', '--shuffle', '1'])).toThrow(/Unknown option --shuffle/);
    expect(() => parseArgs(['a'])).toThrow(/usage: npm run data/);
    expect(() => parseArgs(['a', 'b', '--field'])).toThrow(/--field needs a value/);
  });
});

describe('UTF-8 validation', () => {
  it('agrees with a fatal TextDecoder on random byte strings', () => {
    const rng = new Rng(5);
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (let trial = 0; trial < 3000; trial++) {
      // Mostly lead/continuation bytes so that valid and invalid sequences both occur.
      const bytes = Uint8Array.from(
        { length: 1 + rng.int(6) },
        () => [0x41, 0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, rng.int(256)][rng.int(10)],
      );
      let valid = true;
      try {
        strict.decode(bytes);
      } catch {
        valid = false;
      }
      expect(firstInvalidUtf8(bytes) === -1, `bytes ${Array.from(bytes)}`).toBe(valid);
    }
  });
  it('accepts every kind of code point and rejects overlongs and surrogates', () => {
    expect(firstInvalidUtf8(utf8('aé日🙂'))).toBe(-1);
    expect(firstInvalidUtf8(Uint8Array.from([0x41, 0xc0, 0xaf]))).toBe(1);
    expect(firstInvalidUtf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe(0);
    expect(firstInvalidUtf8(Uint8Array.from([0x41, 0xe6, 0x97]))).toBe(1);
  });
  it('names the line and byte of invalid UTF-8, and drops a BOM', () => {
    expect(() => decodeUtf8(Uint8Array.from([0x61, 0x0a, 0x62, 0xff]), 'in.txt')).toThrow(
      'in.txt is not valid UTF-8: line 2, byte 3 (0xff). Save it as UTF-8 and try again.',
    );
    expect(decodeUtf8(Uint8Array.from([0xef, 0xbb, 0xbf, 0x61]), 'in.txt')).toBe('a');
  });
});

describe('documents of an input file', () => {
  it('splits text on <|endoftext|> when present, keeping the documents exactly', () => {
    expect(parseTxt(`one\n\ntwo${END_OF_TEXT} three ${END_OF_TEXT}\n`)).toEqual([
      'one\n\ntwo',
      ' three ',
    ]);
  });
  it('splits text without it on blank lines', () => {
    expect(parseTxt('a\nb\n\nc\r\n \r\n\r\nd\n')).toEqual(['a\nb', 'c', 'd\n']);
  });
  it('reads JSONL, skipping blank lines', () => {
    expect(parseJsonl('{"text":"a"}\n\n{"text":"b","id":2}\r\n', 'text', 'x.jsonl')).toEqual([
      'a',
      'b',
    ]);
  });
  it('names the line of invalid JSON', () => {
    expect(() => parseJsonl('{"text":"a"}\n{"text":', 'text', 'x.jsonl')).toThrow(
      /^x.jsonl line 2 is not valid JSON/,
    );
  });
  it('names the line that lacks the field and how to pick another', () => {
    expect(() => parseJsonl('{"text":"a"}\n{"body":"b"}', 'text', 'x.jsonl')).toThrow(
      'x.jsonl line 2 has no string field "text": every line must be an object like {"text": "..."}; name another field with --field.',
    );
    expect(() => parseJsonl('{"text":3}', 'text', 'x.jsonl')).toThrow(/line 1 has no string field/);
    expect(() => parseJsonl('["text"]', 'text', 'x.jsonl')).toThrow(/line 1 has no string field/);
  });
  it('rejects an empty file and a file with no text', () => {
    expect(() => readDocuments(new Uint8Array(0), 'e.txt', 'text')).toThrow(
      'e.txt is empty: give a file with some text.',
    );
    expect(() => readDocuments(utf8('\n \n'), 'w.txt', 'text')).toThrow(/has no documents/);
  });
});

describe('split by document', () => {
  const docs = Array.from({ length: 50 }, (_, i) => `doc ${i}`);
  it('puts round(n * F) documents in val and the rest in train, each in input order', () => {
    const { train, val } = splitByDocument(docs, 0.1);
    expect(val).toHaveLength(5);
    expect(train).toHaveLength(45);
    expect([...train, ...val].sort()).toEqual([...docs].sort());
    expect(train.filter((d) => val.includes(d))).toEqual([]);
    for (const part of [train, val]) expect(part).toEqual(docs.filter((d) => part.includes(d)));
  });
  it('splits the same input the same way every time', () => {
    expect(splitByDocument(docs, 0.2)).toEqual(splitByDocument(docs, 0.2));
  });
  it('keeps at least one document on each side', () => {
    expect(splitByDocument(['a', 'b'], 0.01).val).toHaveLength(1);
    expect(splitByDocument(['a', 'b'], 0.99).train).toHaveLength(1);
    expect(() => splitByDocument(['a'], 0.1)).toThrow(
      /has 1 document, but train and val need one each/,
    );
  });
});

describe('prepare', { timeout: 30_000 }, () => {
  const jsonl = Array.from({ length: 20 }, (_, i) =>
    JSON.stringify({ text: `Document ${i}: naïve 日本 🙂` }),
  ).join('\n');
  for (const tokenizer of [gpt2Tokenizer, byteTokenizer]) {
    it(`writes ${tokenizer.name} files that load back to the input documents per the manifest`, async () => {
      const { files, manifest } = await prepare(utf8(jsonl), 'in.jsonl', tokenizer, {
        valFraction: 0.25,
        field: 'text',
      });
      expect(files.map((f) => f.name)).toEqual([
        `train.${tokenizer.name}.bin`,
        `val.${tokenizer.name}.bin`,
        'manifest.json',
      ]);
      expect(JSON.parse(new TextDecoder().decode(files[2].bytes))).toEqual(manifest);
      const docs: string[] = [];
      for (const [i, split] of (['train', 'val'] as Split[]).entries()) {
        const entry = manifest.splits[split][tokenizer.name]!;
        const stream = await streamFromEntry(
          split,
          entry,
          new Uint8Array(files[i].bytes),
          tokenizer,
        );
        expect(stream.tokens.length).toBe(entry.tokens);
        for (let d = 0; d < entry.documents; d++) docs.push(documentText(stream, d, tokenizer));
      }
      expect(manifest.splits.val[tokenizer.name]!.documents).toBe(5);
      expect(docs.sort()).toEqual(
        jsonl
          .split('\n')
          .map((l) => JSON.parse(l).text)
          .sort(),
      );
    });
  }
  it('fails with a DataError on an input of one document', async () => {
    await expect(
      prepare(utf8('just one'), 'one.txt', byteTokenizer, { valFraction: 0.1, field: 'text' }),
    ).rejects.toThrow(DataError);
  });
});
