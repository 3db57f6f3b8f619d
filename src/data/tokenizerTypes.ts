// What every tokenizer is: a leaf, so tokenizer.ts can load gpt2.ts lazily without a cycle.

export type TokenizerName = 'gpt2' | 'byte';

/** Each tokenizer's vocabulary size, known without loading its tables. */
export const VOCAB_SIZES: Readonly<Record<TokenizerName, number>> = { gpt2: 50257, byte: 256 };

export interface Tokenizer {
  name: TokenizerName;
  vocabSize: number;
  /** Ends every document in a token stream; encode() never emits it. */
  eosId: number;
  /** Plain text to ids; special-token strings such as `<|endoftext|>` are encoded as text. */
  encode(text: string): Uint32Array | number[];
  /** Ids to text; eosId decodes to END_OF_TEXT. */
  decode(ids: ArrayLike<number>): string;
}

/** The document separator of the shipped .txt files, and what eosId decodes to. */
export const END_OF_TEXT = '<|endoftext|>';
