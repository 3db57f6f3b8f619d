import { describe, expect, it } from 'vitest';
import { byteTokenizer } from './tokenizer';
import {
  checkUserTextSize,
  MAX_USER_TEXT_BYTES,
  userDataset,
  userTextDocuments,
  valSplitProblem,
} from './userText';

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('userTextDocuments refuses bad files with a message saying why', () => {
  it('an empty file', () => {
    expect(() => userTextDocuments(new Uint8Array(0), 'a.txt', 'text')).toThrow(
      'a.txt is empty: give a file with some text.',
    );
  });

  it('a binary file with a NUL byte, naming its offset', () => {
    expect(() => userTextDocuments(Uint8Array.of(0x50, 0x4b, 0, 3), 'x.txt', 'text')).toThrow(
      'x.txt looks like a binary file (a NUL byte at byte 2), not text',
    );
  });

  it('a binary file of mostly control characters, while tabs and newlines are text', () => {
    const binary = Uint8Array.from({ length: 100 }, (_, i) => (i % 4 === 0 ? 0x01 : 0x41));
    expect(() => userTextDocuments(binary, 'x.md', 'text')).toThrow(
      'x.md looks like a binary file (25% control characters)',
    );
    expect(userTextDocuments(utf8('a\tb\r\nc\n\nd\f'), 'ok.txt', 'text')).toHaveLength(2);
  });

  it('invalid UTF-8, naming the line and byte', () => {
    expect(() => userTextDocuments(Uint8Array.of(0x61, 0x0a, 0xc3, 0x28), 'u.txt', 'text')).toThrow(
      'u.txt is not valid UTF-8: line 2, byte 2 (0xc3)',
    );
  });

  it('an invalid JSONL line, naming its line number', () => {
    expect(() => userTextDocuments(utf8('{"text":"a"}\n{"text":'), 'd.jsonl', 'text')).toThrow(
      'd.jsonl line 2 is not valid JSON',
    );
  });

  it('a JSONL line without the chosen field', () => {
    expect(() => userTextDocuments(utf8('{"text":"a"}\n{"body":"b"}'), 'd.jsonl', 'text')).toThrow(
      'd.jsonl line 2 has no string field "text"',
    );
    expect(userTextDocuments(utf8('{"body":"a"}\n{"body":"b"}'), 'd.jsonl', 'body')).toEqual([
      'a',
      'b',
    ]);
  });

  it('a file over the size limit, stating the limit', () => {
    expect(MAX_USER_TEXT_BYTES).toBe(50 * 2 ** 20);
    expect(() => checkUserTextSize(MAX_USER_TEXT_BYTES + 1, 'big.txt')).toThrow(
      'big.txt is 50.0 MiB, over the limit of 50 MiB',
    );
    expect(() => checkUserTextSize(MAX_USER_TEXT_BYTES, 'fits.txt')).not.toThrow();
  });

  it('a file of one document, which cannot give both a train and a val split', () => {
    const docs = userTextDocuments(utf8('only one'), 'one.txt', 'text');
    expect(() => userDataset(docs, 'one.txt', byteTokenizer)).toThrow(
      'The input has 1 document, but train and val need one each',
    );
  });
});

describe('userDataset', () => {
  it('splits by document, 10% to val, and matches encoding each split at once', () => {
    const docs = Array.from({ length: 150 }, (_, i) => `document number ${i}`);
    const reports: number[] = [];
    const d = userDataset(docs, 'many.txt', byteTokenizer, (p) => {
      expect(p.total).toBe(150);
      reports.push(p.documents);
    });
    expect(d.name).toBe('many.txt');
    expect(d.val.docStarts.length).toBe(15);
    expect(d.train.docStarts.length).toBe(135);
    // Progress per batch of 64 documents: 64, 128, 135 (train) then 150 (val), never backwards.
    expect(reports).toEqual([64, 128, 135, 150]);
    const text = (stream: typeof d.train) => byteTokenizer.decode(stream.tokens);
    const all = `${text(d.train)}${text(d.val)}`.split('<|endoftext|>').filter((s) => s !== '');
    expect(all.sort()).toEqual(docs.slice().sort());
    expect(d.train.tokens).toBeInstanceOf(Uint8Array);
  });
});

describe('valSplitProblem', () => {
  it('names the val split when it is shorter than one batch of blocks, and passes one that fits', () => {
    const docs = Array.from({ length: 10 }, () => 'x'.repeat(19));
    const d = userDataset(docs, 'short.txt', byteTokenizer);
    // One val document of 19 bytes and its eos: 20 tokens, exactly one block of 19 plus its target.
    expect(d.val.tokens.length).toBe(20);
    expect(valSplitProblem(d, 1, 19)).toBeUndefined();
    expect(valSplitProblem(d, 2, 19)).toBe(
      'The validation split of short.txt has 20 tokens, fewer than the 39 one batch of 2 blocks of block_size 19 needs: lower block_size or batch size, set eval_interval to 0, or add text (a tenth of the documents go to validation).',
    );
  });
});
