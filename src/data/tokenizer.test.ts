import { describe, expect, it } from 'vitest';
import fixture from './fixtures/openwebtext-train-first3.json';
import { gpt2Tokenizer } from './gpt2';
import { byteTokenizer, loadTokenizer } from './tokenizer';
import { END_OF_TEXT } from './tokenizerTypes';

const mixed = 'naïve café, 日本語, emoji 🙂🚀, Ωμέγα, tab\tnewline\n';

describe('byte tokenizer', () => {
  it('has 256 ids with eos 0xFF, a byte UTF-8 never uses', () => {
    expect(byteTokenizer.vocabSize).toBe(256);
    expect(byteTokenizer.eosId).toBe(0xff);
  });
  it('encodes one id per UTF-8 byte and round-trips non-ASCII text', () => {
    const ids = byteTokenizer.encode(mixed);
    expect(Array.from(ids)).toEqual(Array.from(new TextEncoder().encode(mixed)));
    expect(Array.from(ids)).not.toContain(0xff);
    expect(byteTokenizer.decode(ids)).toBe(mixed);
  });
  it('decodes eos to the end-of-text marker between documents', () => {
    const ids = [...byteTokenizer.encode('é'), 0xff, ...byteTokenizer.encode('🙂')];
    expect(byteTokenizer.decode(ids)).toBe(`é${END_OF_TEXT}🙂`);
  });
  it('decodes a cut multi-byte sequence to U+FFFD instead of throwing', () => {
    expect(byteTokenizer.decode([0xe6, 0x97])).toBe('\ufffd');
  });
});

// The first encode builds the BPE tables: about a second, more on a shared machine.
describe('GPT-2 tokenizer', { timeout: 30_000 }, () => {
  it('is r50k: vocab 50257, eos 50256', () => {
    expect(gpt2Tokenizer.vocabSize).toBe(50257);
    expect(gpt2Tokenizer.eosId).toBe(50256);
  });
  it('reproduces the shipped ids of the first three OpenWebText documents exactly', () => {
    expect(fixture.documents).toHaveLength(3);
    const ids: number[] = [];
    for (const doc of fixture.documents) ids.push(...gpt2Tokenizer.encode(doc), 50256);
    expect(ids).toEqual(fixture.ids);
  });
  it('decodes the shipped ids back to the documents', () => {
    expect(gpt2Tokenizer.decode(fixture.ids)).toBe(
      fixture.documents.map((d) => d + END_OF_TEXT).join(''),
    );
  });
  it('round-trips non-ASCII text', () => {
    expect(gpt2Tokenizer.decode(gpt2Tokenizer.encode(mixed))).toBe(mixed);
  });
  it('encodes a literal <|endoftext|> in user text as text, not as eos', () => {
    const ids = Array.from(gpt2Tokenizer.encode(`a${END_OF_TEXT}b`));
    expect(ids).not.toContain(50256);
    expect(gpt2Tokenizer.decode(ids)).toBe(`a${END_OF_TEXT}b`);
  });
});

describe('loadTokenizer', () => {
  it('returns the tokenizer of each name', async () => {
    expect((await loadTokenizer('byte')).name).toBe('byte');
    expect(await loadTokenizer('gpt2')).toBe(gpt2Tokenizer);
  });
});
