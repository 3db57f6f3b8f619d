import { readFileSync } from 'node:fs';
import { encode } from 'gpt-tokenizer/encoding/r50k_base';
import { R50K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { describe, expect, it } from 'vitest';
import { adversarialTexts } from './bpeAdversarial';
import { encodeDocuments } from './dataset';
import { encodeGpt2, GPT2_PIECES, gpt2Bpe, gpt2Tokenizer, MAX_PIECE_CHARS } from './gpt2';
import { parseTxt } from './prepare';
import { END_OF_TEXT } from './tokenizerTypes';

const plainText = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };
const OPENWEBTEXT = new URL('../../public/data/openwebtext/', import.meta.url);

const mergedAlone = (chunks: readonly string[]) => {
  const ids: number[] = [];
  for (const chunk of chunks) gpt2Bpe.encodePiece(chunk, ids);
  return ids;
};

/** Where two id lists first differ (-1 if they are equal): quick on a million ids, unlike toEqual. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

// Encoding the shipped slices (7 MB) with both encoders takes seconds on a loaded machine.
describe('GPT-2 encoding', { timeout: 120_000 }, () => {
  it("splits text with the package's own pre-tokenizer pattern", () => {
    expect(GPT2_PIECES.source).toBe(R50K_TOKEN_SPLIT_REGEX.source);
    expect(GPT2_PIECES.flags).toBe(R50K_TOKEN_SPLIT_REGEX.flags);
  });

  it('gives exactly the shipped ids and the package ids for both OpenWebText slices', () => {
    for (const split of ['train', 'val'] as const) {
      const text = readFileSync(new URL(`${split}.txt`, OPENWEBTEXT), 'utf8');
      const bin = readFileSync(new URL(`${split}.gpt2.bin`, OPENWEBTEXT));
      const ours = encodeDocuments(split, parseTxt(text), gpt2Tokenizer).tokens;
      expect(Buffer.from(ours.buffer, ours.byteOffset, ours.byteLength).equals(bin)).toBe(true);
      expect(firstDifference(encodeGpt2(text), encode(text, plainText))).toBe(-1);
    }
  });

  it('gives the package ids on 300 seeded adversarial texts, and decodes them back', () => {
    for (const text of adversarialTexts(4, 300, 400)) {
      const ids = encodeGpt2(text);
      expect(Array.from(ids)).toEqual(encode(text, plainText));
      expect(gpt2Tokenizer.decode(ids)).toBe(
        new TextDecoder().decode(new TextEncoder().encode(text)),
      );
    }
  });

  it("gives every piece's ids in order for a million pieces (the id list grows past its first buffer)", () => {
    const text = Array.from({ length: 150_000 }, (_, i) => ` w${i} the cat's`).join('');
    expect(firstDifference(encodeGpt2(text), mergedAlone(text.match(GPT2_PIECES)!))).toBe(-1);
  });

  it('merges a piece up to MAX_PIECE_CHARS whole, and a longer one in chunks of that size', () => {
    const word = 'ab'.repeat(50_000);
    expect(Array.from(encodeGpt2(` ${word}.`))).toEqual(mergedAlone([` ${word}`, '.']));
    const long = 'x'.repeat(MAX_PIECE_CHARS + 5);
    expect(Array.from(encodeGpt2(long))).toEqual(
      mergedAlone([long.slice(0, MAX_PIECE_CHARS), 'xxxxx']),
    );
  });

  it('never cuts a surrogate pair', () => {
    // One piece of punctuation: its first chunk would end between the two halves of an emoji,
    // so it takes the second half too.
    const text = `!${'🙂'.repeat(MAX_PIECE_CHARS / 2 + 3)}`;
    expect(Array.from(encodeGpt2(text))).toEqual(
      mergedAlone([text.slice(0, MAX_PIECE_CHARS + 1), text.slice(MAX_PIECE_CHARS + 1)]),
    );
    expect(gpt2Tokenizer.decode(encodeGpt2(text))).toBe(text);
  });

  it('encodes 200,000 spaces and a 1 MB word (both broke the package) and decodes them back', () => {
    for (const text of [
      ' '.repeat(200_000),
      `${'q'.repeat(2 ** 20)}!`,
      `x ${'9'.repeat(300_000)}`,
    ]) {
      expect(gpt2Tokenizer.decode(gpt2Tokenizer.encode(text))).toBe(text);
    }
  });

  it('keeps a byte-order mark and a literal <|endoftext|> as text', () => {
    const text = `\ufeffa${END_OF_TEXT}b`;
    const ids = encodeGpt2(text);
    expect(Array.from(ids)).toEqual(encode(text, plainText));
    expect(ids).not.toContain(gpt2Tokenizer.eosId);
    expect(gpt2Tokenizer.decode(ids)).toBe(text);
  });
});
