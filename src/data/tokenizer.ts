// Tokenizers behind one interface, so the dataset, the blocks and sampling never ask which one.
import { END_OF_TEXT, type Tokenizer, type TokenizerName, VOCAB_SIZES } from './tokenizerTypes';

// 0xFF is never a byte of well-formed UTF-8 (nor are 0xC0, 0xC1, 0xF5-0xFE), so it can end a
// document while the vocabulary stays 256 and every other id is the byte itself.
const BYTE_EOS = 0xff;
const utf8Encoder = new TextEncoder();
// Not fatal: a model's samples can be any bytes, and a broken sequence should show as U+FFFD.
const utf8Decoder = new TextDecoder('utf-8');

/** One token per UTF-8 byte; eos is the byte 0xFF, which UTF-8 text never contains. */
export const byteTokenizer: Tokenizer = {
  name: 'byte',
  vocabSize: VOCAB_SIZES.byte,
  eosId: BYTE_EOS,
  encode: (text) => new Uint32Array(utf8Encoder.encode(text)),
  decode(ids) {
    const bytes = Uint8Array.from(ids);
    let text = '';
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== BYTE_EOS) continue;
      text += utf8Decoder.decode(bytes.subarray(start, i));
      if (i < bytes.length) text += END_OF_TEXT;
      start = i + 1;
    }
    return text;
  },
};

/** The tokenizer by name; GPT-2's BPE ranks (~1 MB of code) load only when asked for. */
export async function loadTokenizer(name: TokenizerName): Promise<Tokenizer> {
  if (name === 'byte') return byteTokenizer;
  const { gpt2Tokenizer } = await import('./gpt2');
  return gpt2Tokenizer;
}
