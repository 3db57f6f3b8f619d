import { readFileSync } from 'node:fs';
import { encode } from 'gpt-tokenizer/encoding/r50k_base';
import { R50K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { encodeDocuments } from './dataset';
import { encodeGpt2, GPT2_PIECES, gpt2Tokenizer, MAX_PIECE_CHARS } from './gpt2';
import { parseTxt } from './prepare';

const plainText = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

/**
 * The reference: every piece of the whole text encoded by the package on its own (what the
 * package does inside one encode), and a piece over MAX_PIECE_CHARS in chunks of that size.
 */
function perPiece(text: string): number[] {
  const ids: number[] = [];
  for (const [piece] of text.matchAll(GPT2_PIECES)) {
    for (let i = 0; i < piece.length; ) {
      let end = Math.min(piece.length, i + MAX_PIECE_CHARS);
      if (end < piece.length && /[\uD800-\uDBFF]/.test(piece[end - 1])) end++;
      ids.push(...encode(piece.slice(i, end), plainText));
      i = end;
    }
  }
  return ids;
}

function timed<T>(run: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = run();
  return { value, ms: performance.now() - started };
}

// Encoding the shipped slices takes seconds on a loaded machine.
describe('GPT-2 encoding with long pieces cut', { timeout: 120_000 }, () => {
  it("splits text with the package's own pre-tokenizer pattern", () => {
    expect(GPT2_PIECES.source).toBe(R50K_TOKEN_SPLIT_REGEX.source);
    expect(GPT2_PIECES.flags).toBe(R50K_TOKEN_SPLIT_REGEX.flags);
  });

  it('gives exactly the shipped ids (the package, uncut) for both OpenWebText slices', () => {
    for (const split of ['train', 'val'] as const) {
      const dir = new URL('../../public/data/openwebtext/', import.meta.url);
      const docs = parseTxt(readFileSync(new URL(`${split}.txt`, dir), 'utf8'));
      const bin = readFileSync(new URL(`${split}.gpt2.bin`, dir));
      const shipped = new Uint16Array(bin.buffer, bin.byteOffset, bin.byteLength / 2);
      const ours = encodeDocuments(split, docs, gpt2Tokenizer).tokens;
      expect(ours.length).toBe(shipped.length);
      expect(Buffer.from(ours.buffer, ours.byteOffset, ours.byteLength).equals(bin)).toBe(true);
    }
  });

  it('encodes 100 kB words, digit runs and base64 blobs, and 200,000 spaces, in under 2 s each', () => {
    const rng = new Rng(7);
    const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const inputs = [
      'a'.repeat(100_000),
      `x ${'9'.repeat(100_000)} y`,
      Array.from({ length: 100_000 }, () => b64[rng.int(64)]).join(''),
      `${'A'.repeat(100_000)}==`,
      ' '.repeat(200_000),
      `${'\n'.repeat(100_000)}end`,
      `${'-'.repeat(100_000)}é`,
    ];
    for (const text of inputs) {
      const { value, ms } = timed(() => gpt2Tokenizer.encode(text));
      expect(ms).toBeLessThan(2000);
      expect(gpt2Tokenizer.decode(value)).toBe(text);
    }
  });

  it('never cuts a surrogate pair', () => {
    const text = `!${'🙂'.repeat(2000)}`;
    expect(gpt2Tokenizer.decode(gpt2Tokenizer.encode(text))).toBe(text);
  });

  it('cuts only the long pieces: the rest is split as in the whole text (whitespace before a long piece too)', () => {
    const rng = new Rng(11);
    const parts = ['the', ' cat', "'s", '  ', '\n\n', ' \n ', '42', '!!', ' ', 'é', '🙂', '\t'];
    const longs = ['a', '7', '-', ' ', '\n', 'Ω', 'aé', '日本', '🙂!', 'x9'];
    for (let trial = 0; trial < 200; trial++) {
      let text = '';
      const n = 1 + rng.int(12);
      for (let k = 0; k < n; k++) {
        text +=
          rng.int(3) === 0
            ? longs[rng.int(longs.length)].repeat(MAX_PIECE_CHARS - 2 + rng.int(600))
            : parts[rng.int(parts.length)];
      }
      expect(encodeGpt2(text)).toEqual(perPiece(text));
    }
    // Long pieces of non-ASCII letters alone (the quick pre-check must not miss them).
    for (const text of ['München'.repeat(60), `x ${'naïveté'.repeat(60)}.`, '🙂'.repeat(200)]) {
      expect(encodeGpt2(text)).toEqual(perPiece(text));
    }
    expect(encodeGpt2(`\n\n${'a'.repeat(1000)}\n\nb`)).toEqual(
      perPiece(`\n\n${'a'.repeat(1000)}\n\nb`),
    );
  });
});
