// GPT-2 BPE (tiktoken's r50k_base): the pre-tokenizer split as the gpt-tokenizer package does it,
// then our own heap merge (bpe.ts) over the package's shipped vocabulary, so it runs offline in a
// worker and in node. Kept out of tokenizer.ts so the byte path never loads the ranks.
import vocabulary from 'gpt-tokenizer/bpeRanks/r50k_base';
import { BytePairEncoder, IdList } from './bpe';
import { END_OF_TEXT, type Tokenizer, VOCAB_SIZES } from './tokenizerTypes';

const GPT2_EOS = 50256;

/** GPT-2's pre-tokenizer: the package's R50K_TOKEN_SPLIT_REGEX (gpt2.test.ts checks they agree). */
export const GPT2_PIECES =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
/**
 * Pieces longer than this many UTF-16 code units are merged in chunks of this size (never between
 * the halves of a surrogate pair): the only place where the ids may differ from the package's,
 * which takes hours on such a piece. The merge is O(n log n), so the cut is not for time but
 * for memory: a piece's merge holds about 40 bytes per UTF-8 byte.
 */
export const MAX_PIECE_CHARS = 2 ** 18;
export const gpt2Bpe = new BytePairEncoder(vocabulary, [{ id: GPT2_EOS, text: END_OF_TEXT }]);
// ignoreBOM: a text that starts with U+FEFF decodes to itself.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** The package's encoding of `text` (no special tokens), in time O(n log n) in its length. */
export function encodeGpt2(text: string): Uint32Array {
  const ids = new IdList();
  // A private copy: exec() moves lastIndex, and encode may run inside another encode's loop.
  const pieces = new RegExp(GPT2_PIECES);
  for (let match = pieces.exec(text); match !== null; match = pieces.exec(text)) {
    const piece = match[0];
    if (piece.length <= MAX_PIECE_CHARS) {
      gpt2Bpe.encodePiece(piece, ids);
      continue;
    }
    for (let i = 0; i < piece.length; ) {
      let end = Math.min(piece.length, i + MAX_PIECE_CHARS);
      const last = piece.charCodeAt(end - 1);
      if (end < piece.length && last >= 0xd800 && last <= 0xdbff) end++;
      gpt2Bpe.encodePiece(piece.slice(i, end), ids);
      i = end;
    }
  }
  return ids.toArray();
}

export const gpt2Tokenizer: Tokenizer = {
  name: 'gpt2',
  vocabSize: VOCAB_SIZES.gpt2,
  eosId: GPT2_EOS,
  encode: encodeGpt2,
  decode: (ids) => gpt2Bpe.decode(ids, utf8Decoder),
};
