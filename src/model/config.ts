/** GPT-2 architecture settings (names as in nanoGPT's GPTConfig). */
export interface GPTConfig {
  /** Tokens per training window (the longest context the model sees). */
  blockSize: number;
  /** Vocabulary size: 256 for the byte tokenizer, 50257 for GPT-2 BPE. */
  vocabSize: number;
  nLayer: number;
  nHead: number;
  /** Width of the residual stream; divisible by nHead. */
  nEmbd: number;
}

/** Optimisation settings for a pretraining run. */
export interface TrainConfig {
  batchSize: number;
  /** Micro-batches whose gradients are summed before one optimizer step. */
  gradAccumSteps: number;
  maxSteps: number;
  learningRate: number;
  minLearningRate: number;
  warmupSteps: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  /** Global gradient-norm clip; 0 turns clipping off. */
  gradClip: number;
  seed: number;
  /** Validation every N steps; 0 turns it off. */
  evalInterval: number;
  evalBatches: number;
}

export type TokenizerName = 'byte' | 'gpt2';

export interface Preset {
  id: 'tiny' | 'small' | 'medium';
  label: string;
  description: string;
  tokenizer: TokenizerName;
  model: GPTConfig;
  train: TrainConfig;
}

const BASE_TRAIN: TrainConfig = {
  batchSize: 8,
  gradAccumSteps: 1,
  maxSteps: 200,
  learningRate: 3e-3,
  minLearningRate: 3e-4,
  warmupSteps: 10,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  gradClip: 1.0,
  seed: 1337,
  evalInterval: 25,
  evalBatches: 4,
};

export const PRESETS: readonly Preset[] = [
  {
    id: 'tiny',
    label: 'tiny (~120k parameters, bytes)',
    description:
      'Byte vocabulary, 2 layers of width 64: learns visibly in a minute even on a software GPU.',
    tokenizer: 'byte',
    model: { blockSize: 64, vocabSize: 256, nLayer: 2, nHead: 4, nEmbd: 64 },
    train: { ...BASE_TRAIN },
  },
  {
    id: 'small',
    label: 'small (~7M parameters, GPT-2 BPE)',
    description:
      'GPT-2 tokenizer, 4 layers of width 128: a real GPU makes it quick; slow on a software adapter.',
    tokenizer: 'gpt2',
    model: { blockSize: 128, vocabSize: 50257, nLayer: 4, nHead: 4, nEmbd: 128 },
    train: {
      ...BASE_TRAIN,
      learningRate: 1e-3,
      minLearningRate: 1e-4,
      maxSteps: 1000,
      evalInterval: 100,
    },
  },
  {
    id: 'medium',
    label: 'medium (~30M parameters, GPT-2 BPE)',
    description: 'GPT-2 tokenizer, 6 layers of width 384, context 256: for a discrete GPU.',
    tokenizer: 'gpt2',
    model: { blockSize: 256, vocabSize: 50257, nLayer: 6, nHead: 6, nEmbd: 384 },
    train: {
      ...BASE_TRAIN,
      batchSize: 16,
      learningRate: 6e-4,
      minLearningRate: 6e-5,
      warmupSteps: 100,
      maxSteps: 5000,
      evalInterval: 250,
    },
  },
];

export function presetById(id: string): Preset {
  const p = PRESETS.find((x) => x.id === id);
  if (!p)
    throw new Error(
      `Unknown preset "${id}". Choose one of: ${PRESETS.map((x) => x.id).join(', ')}.`,
    );
  return p;
}
