// GPT-2 BPE (tiktoken's r50k_base): the encoding ships inside the package, so it runs offline in
// a worker and in node. Kept out of tokenizer.ts so the byte path never loads the ranks.
import { decode, encode } from 'gpt-tokenizer/encoding/r50k_base';
import { type Tokenizer, VOCAB_SIZES } from './tokenizerTypes';

const GPT2_EOS = 50256;
// No special tokens in encode(): user text that happens to contain `<|endoftext|>` is text.
const plainText = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

export const gpt2Tokenizer: Tokenizer = {
  name: 'gpt2',
  vocabSize: VOCAB_SIZES.gpt2,
  eosId: GPT2_EOS,
  encode: (text) => encode(text, plainText),
  // The package decodes 50256 to END_OF_TEXT itself.
  decode: (ids) => decode(Array.from(ids)),
};
