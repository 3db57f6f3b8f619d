// Shared by the engine's GPU tests: a tiny byte-level GPT, its training settings, and sentences
// turned into token streams and blocks.
import { Blocks } from '../data/blocks';
import { type Split, type TokenStream, tokenStream } from '../data/dataset';
import { byteTokenizer } from '../data/tokenizer';
import type { GPTConfig, TrainConfig } from '../model/config';

/** Not multiples of any tile: block 9, embedding 16, two heads of 8. */
export const TEST_MODEL: GPTConfig = {
  blockSize: 9,
  vocabSize: 256,
  nLayer: 2,
  nHead: 2,
  nEmbd: 16,
};

/** A fast-learning setting for the test model; each test states what it changes. */
export function testTrainConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    batchSize: 4,
    gradAccumSteps: 1,
    maxSteps: 40,
    learningRate: 1e-2,
    minLearningRate: 1e-3,
    warmupSteps: 2,
    weightDecay: 0.1,
    beta1: 0.9,
    beta2: 0.95,
    gradClip: 1.0,
    seed: 7,
    evalInterval: 0,
    evalBatches: 1,
    ...overrides,
  };
}

/** `text` as one byte-tokenized document. */
export function byteStream(text: string, split: Split = 'train'): TokenStream {
  return tokenStream(
    split,
    Uint32Array.from([...byteTokenizer.encode(text), byteTokenizer.eosId]),
    byteTokenizer,
  );
}

/** The blocks of `text` as one byte-tokenized document. */
export function byteBlocks(text: string, blockSize = TEST_MODEL.blockSize): Blocks {
  return new Blocks(byteStream(text), blockSize);
}
