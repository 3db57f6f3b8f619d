// Seeded texts that stress a BPE tokenizer: long runs of one character, base64 blobs, random
// unicode (combining marks, CJK, emoji, lone surrogates), mixed whitespace, digits, punctuation,
// and ordinary words between them. The tests compare our encoder with the package on them.
import { Rng } from '../util/rng';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
const RUN_CHARS = ['a', 'Z', '7', ' ', '\n', '\t', '-', '.', 'é', '日', '🙂', '\u00a0', "'"];
const SPACES = [' ', ' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\u3000', '\v'];
const WORDS = ['the', ' cat', "'s", "'ll", " don't", ' 42', '3.14', '!!', ' (x)', 'naïve', ' 東京'];
/** [first, last] code points of letters of six scripts, combining marks and emoji. */
export const SCRIPT_RANGES: readonly (readonly [number, number])[] = [
  [0xa0, 0xff],
  [0x370, 0x3ff],
  [0x400, 0x4ff],
  [0x300, 0x36f],
  [0x600, 0x6ff],
  [0x4e00, 0x9fff],
  [0xac00, 0xd7a3],
  [0x1f300, 0x1f6ff],
];
// And the surrogate range: a lone surrogate is encoded as U+FFFD.
const UNICODE_RANGES = [...SCRIPT_RANGES, [0xd800, 0xdfff] as const];

function unicodeChar(rng: Rng): string {
  const [first, last] = UNICODE_RANGES[rng.int(UNICODE_RANGES.length)];
  return String.fromCodePoint(first + rng.int(last - first + 1));
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

function repeat(n: number, char: () => string): string {
  let s = '';
  for (let i = 0; i < n; i++) s += char();
  return s;
}

/** One segment of at most `longest` characters (two per emoji or surrogate pair). */
function segment(rng: Rng, longest: number): string {
  const n = 1 + rng.int(longest);
  switch (rng.int(7)) {
    case 0:
      return pick(rng, RUN_CHARS).repeat(n);
    case 1:
      return repeat(n, () => pick(rng, [...B64]));
    case 2:
      return repeat(n, () => unicodeChar(rng));
    case 3:
      return repeat(n, () => pick(rng, SPACES));
    case 4:
      return repeat(n, () => String(rng.int(10)));
    case 5:
      return repeat(n, () => pick(rng, [...'!"#$%&()*+,-./:;<=>?@[]^_`{|}~']));
    default:
      return pick(rng, WORDS);
  }
}

/** `count` texts from `seed`, each of 1 to 8 segments of at most `longest` characters. */
export function adversarialTexts(seed: number, count: number, longest: number): string[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => repeat(1 + rng.int(8), () => segment(rng, longest)));
}
