// GPT-2 BPE (tiktoken's r50k_base): the encoding ships inside the package, so it runs offline in
// a worker and in node. Kept out of tokenizer.ts so the byte path never loads the ranks.
import { decode, encode } from 'gpt-tokenizer/encoding/r50k_base';
import { appendAll as append } from '../util/append';
import { type Tokenizer, VOCAB_SIZES } from './tokenizerTypes';

const GPT2_EOS = 50256;
// No special tokens in encode(): user text that happens to contain `<|endoftext|>` is text.
const plainText = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

/** GPT-2's pre-tokenizer: the package's R50K_TOKEN_SPLIT_REGEX (gpt2.test.ts checks they agree). */
export const GPT2_PIECES =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
/**
 * Pieces longer than this are cut into chunks of this many characters before BPE. The package's
 * merge costs the square of a piece's length (a 100 kB word takes seconds) and 200,000 spaces
 * overflow its stack; cut, any text costs time linear in its length. The shipped slices' longest
 * piece is 67 characters, so text like them is encoded exactly as the package does.
 */
export const MAX_PIECE_CHARS = 256;

const isSpace = (c: string) => c.trim() === '';

// ASCII classes of the pre-tokenizer: letters, digits, whitespace, the rest. Any code unit above
// 0x7F may be of any class, so it extends every run.
const LETTER = 1;
const DIGIT = 2;
const SPACE = 3;
const OTHER = 4;
const ASCII_CLASS = Uint8Array.from({ length: 128 }, (_, c) =>
  /[A-Za-z]/.test(String.fromCharCode(c))
    ? LETTER
    : /[0-9]/.test(String.fromCharCode(c))
      ? DIGIT
      : /\s/.test(String.fromCharCode(c))
        ? SPACE
        : OTHER,
);

/**
 * Whether `text` may hold a piece over MAX_PIECE_CHARS: one linear pass, no allocation. A piece
 * is one class after an optional space, so it needs MAX_PIECE_CHARS - 1 code units in a row
 * that may all be of its class.
 */
function mayHaveLongPiece(text: string): boolean {
  const limit = MAX_PIECE_CHARS - 1;
  const runs = [0, 0, 0, 0, 0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) {
      if (++runs[LETTER] >= limit || ++runs[DIGIT] >= limit) return true;
      if (++runs[SPACE] >= limit || ++runs[OTHER] >= limit) return true;
      continue;
    }
    const k = ASCII_CLASS[c];
    for (let j = LETTER; j <= OTHER; j++) runs[j] = j === k ? runs[j] + 1 : 0;
    if (runs[k] >= limit) return true;
  }
  return false;
}

/** The package's encoding of `text`, with every piece over MAX_PIECE_CHARS encoded in chunks. */
export function encodeGpt2(text: string): number[] {
  if (!mayHaveLongPiece(text)) return encode(text, plainText);
  const ids: number[] = [];
  // text[start..] is not encoded yet; the previous piece is text[prevAt..prevEnd].
  let start = 0;
  let prevAt = 0;
  let prevEnd = 0;
  for (const m of text.matchAll(GPT2_PIECES)) {
    const piece = m[0];
    const at = m.index;
    if (piece.length > MAX_PIECE_CHARS) {
      // The text before the piece is encoded on its own, which splits it as the whole text does,
      // except that whitespace at its end, followed here by a non-space, would join the
      // whitespace piece before it (\s+(?!\S) matches at the end): encode that piece alone.
      const trailing = prevEnd === at && at > start && isSpace(text[at - 1]) && !isSpace(text[at]);
      const cut = trailing ? prevAt : at;
      if (cut > start) append(ids, encode(text.slice(start, cut), plainText));
      if (trailing) append(ids, encode(text.slice(prevAt, at), plainText));
      for (let i = 0; i < piece.length; ) {
        let end = Math.min(piece.length, i + MAX_PIECE_CHARS);
        // Never between the two halves of a surrogate pair.
        if (end < piece.length && /[\uD800-\uDBFF]/.test(piece[end - 1])) end++;
        append(ids, encode(piece.slice(i, end), plainText));
        i = end;
      }
      start = at + piece.length;
    }
    prevAt = at;
    prevEnd = at + piece.length;
  }
  if (start === 0) return encode(text, plainText);
  if (start < text.length) append(ids, encode(text.slice(start), plainText));
  return ids;
}

export const gpt2Tokenizer: Tokenizer = {
  name: 'gpt2',
  vocabSize: VOCAB_SIZES.gpt2,
  eosId: GPT2_EOS,
  encode: encodeGpt2,
  // The package decodes 50256 to END_OF_TEXT itself.
  decode: (ids) => decode(Array.from(ids)),
};
