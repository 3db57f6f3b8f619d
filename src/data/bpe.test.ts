import vocabulary from 'gpt-tokenizer/bpeRanks/r50k_base';
import { decode as packageDecode, encode as packageEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { R50K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { BytePairEncoder } from './bpe';
import { adversarialTexts } from './bpeAdversarial';
import type { PairHeap } from './bpeHeap';
import { END_OF_TEXT } from './tokenizerTypes';

const plainText = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };
const EOS = { id: 50256, text: END_OF_TEXT };
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

function encodeText(bpe: BytePairEncoder, text: string): number[] {
  const ids: number[] = [];
  for (const [piece] of text.matchAll(R50K_TOKEN_SPLIT_REGEX)) bpe.encodePiece(piece, ids);
  return ids;
}

/** The id of the token that is the single byte `b` (text for ASCII, bytes above). */
const byteId = (b: number) =>
  vocabulary.findIndex((entry) =>
    typeof entry === 'string'
      ? b < 0x80 && entry === String.fromCharCode(b)
      : entry.length === 1 && entry[0] === b,
  );

/** The package's quadratic merge, as a heap: every pop scans all keys (a step each). */
class ScanHeap implements PairHeap {
  private keys: number[] = [];
  steps = 0;
  get size(): number {
    return this.keys.length;
  }
  clear(): void {
    this.keys = [];
  }
  push(key: number): void {
    this.keys.push(key);
  }
  pop(): number {
    let best = 0;
    for (let i = 1; i < this.keys.length; i++, this.steps++) {
      if (this.keys[i] < this.keys[best]) best = i;
    }
    const [key] = this.keys.splice(best, 1);
    return key;
  }
}

let seed = 5;
const PIECES: Record<string, (n: number) => string> = {
  'one letter': (n) => 'a'.repeat(n),
  digits: (n) => '7'.repeat(n),
  'random letters': (n) => {
    const rng = new Rng(seed++);
    return Array.from({ length: n }, () => String.fromCharCode(97 + rng.int(26))).join('');
  },
  emoji: (n) => '🙂'.repeat(n / 2),
  'CJK letters': (n) => {
    const rng = new Rng(seed++);
    return Array.from({ length: n }, () => String.fromCodePoint(0x4e00 + rng.int(20000))).join('');
  },
};

/**
 * How much the heap's steps per n log2 n grow from a piece of n characters to one of 8n: about 1
 * for an O(n log n) merge, about 8 * log(n) / log(8n) for a quadratic one.
 */
function stepGrowth(bpe: BytePairEncoder, piece: (n: number) => string, n: number): number {
  const perNLogN = (size: number) => {
    const before = bpe.heap.steps;
    bpe.encodePiece(piece(size), []);
    return (bpe.heap.steps - before) / (size * Math.log2(size));
  };
  return perNLogN(8 * n) / perNLogN(n);
}

// Building the tables from the vocabulary takes about a second, more on a shared machine.
describe('BytePairEncoder over the r50k vocabulary', { timeout: 120_000 }, () => {
  const bpe = new BytePairEncoder(vocabulary, [EOS]);

  it("gives the package's ids, id for id, on 300 seeded adversarial texts", () => {
    for (const text of adversarialTexts(1, 300, 400)) {
      expect(encodeText(bpe, text)).toEqual(packageEncode(text, plainText));
    }
  });

  it("gives the package's ids on long runs, where the package's merge is quadratic", () => {
    for (const char of ['a', '7', '-', 'é', '🙂', '日', 'Ω']) {
      const text = char.repeat(3000);
      expect(encodeText(bpe, text)).toEqual(packageEncode(text, plainText));
    }
  });

  it('merges a piece in O(n log n) heap steps: the step count grows as n log n, n from 2^9 to 2^15', () => {
    for (const [name, piece] of Object.entries(PIECES)) {
      for (const n of [2 ** 9, 2 ** 12]) {
        const growth = stepGrowth(bpe, piece, n);
        expect(growth, `${name}, n = ${n}`).toBeGreaterThan(0.8);
        expect(growth, `${name}, n = ${n}`).toBeLessThan(1.25);
      }
    }
  });

  it('the step count catches a quadratic merge (a heap that scans, as the package does)', () => {
    const slow = new BytePairEncoder(vocabulary, [EOS], new ScanHeap());
    expect(stepGrowth(slow, PIECES['one letter'], 2 ** 9)).toBeGreaterThan(4);
    const text = adversarialTexts(3, 1, 200)[0];
    expect(encodeText(slow, text)).toEqual(encodeText(bpe, text));
  });

  it('decodes what it encodes, and as the package decodes it', () => {
    for (const text of adversarialTexts(2, 200, 400)) {
      const ids = encodeText(bpe, text);
      const wellFormed = utf8.decode(new TextEncoder().encode(text));
      expect(bpe.decode(ids, utf8)).toBe(wellFormed);
      expect(bpe.decode(ids, utf8)).toBe(packageDecode(ids));
    }
  });

  it('decodes a long run of byte tokens (quadratic in the package) in one pass', () => {
    const emoji = [0xf0, 0x9f, 0x99, 0x82].map(byteId);
    const ids = Array.from({ length: 200_000 }, (_, i) => emoji[i % 4]);
    expect(bpe.decode(ids, utf8)).toBe('🙂'.repeat(50_000));
  });

  it('decodes broken UTF-8 to U+FFFD in place, the same on every call (the package carries it over)', () => {
    const cut = [byteId(0xe6), byteId(0x97)];
    expect(bpe.decode(cut, utf8)).toBe('\ufffd');
    expect(bpe.decode([...cut, byteId(0x61)], utf8)).toBe('\ufffda');
    expect(bpe.decode(cut, utf8)).toBe('\ufffd');
  });

  it('decodes the special token to its text and refuses ids outside the vocabulary', () => {
    expect(bpe.decode([50256], utf8)).toBe(END_OF_TEXT);
    for (const id of [50257, -1, 1.5, Number.NaN]) {
      expect(() => bpe.decode([id], utf8)).toThrow(
        `Token ${id} is not a GPT-2 token: ids run from 0 to 50256.`,
      );
    }
  });
});
