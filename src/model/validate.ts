import type { GPTConfig, TrainConfig } from './config';
import { paramBufferLength } from './params';

/** What one training run needs from the device, in bytes. */
export interface MemoryEstimate {
  /** Parameters, gradients and the two AdamW moments. */
  paramBytes: number;
  /** Saved activations and their gradients for one micro-batch. */
  activationBytes: number;
  totalBytes: number;
  /** The largest single buffer (usually the logits), which must fit one storage binding. */
  largestBufferBytes: number;
  largestBufferName: string;
}

/** The activations a GPT step keeps for backward, in floats, following the engine's layout. */
export function estimateMemory(m: GPTConfig, batchSize: number): MemoryEstimate {
  const paramFloats = paramBufferLength(m);
  const BT = batchSize * m.blockSize;
  const C = m.nEmbd;
  const perLayer = BT * (16 * C + 4) + batchSize * m.nHead * m.blockSize;
  const logits = BT * m.vocabSize;
  const activationFloats = BT * C + m.nLayer * perLayer + BT * (C + 2) + logits + 2 * BT;
  // Backward keeps a layer's worth of activation gradients plus the residual stream's.
  const gradActivationFloats = BT * 16 * C + BT * C;
  const paramBytes = 4 * 4 * paramFloats;
  const activationBytes = 4 * (activationFloats + gradActivationFloats);
  const largest = Math.max(logits, paramFloats);
  return {
    paramBytes,
    activationBytes,
    totalBytes: paramBytes + activationBytes,
    largestBufferBytes: 4 * largest,
    largestBufferName: logits >= paramFloats ? 'logits (batch x block x vocab)' : 'parameters',
  };
}

const MiB = 2 ** 20;
const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;

const isPositiveInt = (x: number) => Number.isInteger(x) && x > 0;

/**
 * Every problem with a model and training setting, as messages a user can act on; empty when
 * the run may start. Runs before anything is allocated on the GPU.
 */
export function validateSettings(
  m: GPTConfig,
  t: TrainConfig,
  limits?: { maxStorageBufferBindingSize: number; maxBufferSize: number },
  trainTokens?: number,
): string[] {
  const errors: string[] = [];
  const ints: [string, number][] = [
    ['n_layer', m.nLayer],
    ['n_head', m.nHead],
    ['n_embd', m.nEmbd],
    ['block_size', m.blockSize],
    ['vocab_size', m.vocabSize],
    ['batch size', t.batchSize],
    ['gradient accumulation steps', t.gradAccumSteps],
    ['max steps', t.maxSteps],
  ];
  for (const [name, v] of ints) {
    if (!isPositiveInt(v)) errors.push(`${name} must be a whole number of at least 1 (got ${v}).`);
  }
  if (isPositiveInt(m.nEmbd) && isPositiveInt(m.nHead) && m.nEmbd % m.nHead !== 0) {
    errors.push(
      `n_embd (${m.nEmbd}) must be divisible by n_head (${m.nHead}): each head gets n_embd / n_head channels. Try n_embd = ${Math.max(1, Math.floor(m.nEmbd / m.nHead)) * m.nHead}.`,
    );
  }
  if (isPositiveInt(m.nEmbd) && isPositiveInt(m.nHead) && m.nEmbd / m.nHead > 128) {
    errors.push(
      `n_embd / n_head is ${m.nEmbd / m.nHead}; the attention kernel supports head sizes up to 128. Use more heads.`,
    );
  }
  if (m.blockSize > 1024)
    errors.push(`block_size ${m.blockSize} is over the studio's limit of 1024.`);
  const positive: [string, number][] = [
    ['learning rate', t.learningRate],
    ['beta1', t.beta1],
    ['beta2', t.beta2],
  ];
  for (const [name, v] of positive) {
    if (!(v > 0)) errors.push(`${name} must be greater than 0 (got ${v}).`);
  }
  if (!(t.beta1 < 1) || !(t.beta2 < 1)) errors.push('beta1 and beta2 must be below 1.');
  if (!(t.minLearningRate >= 0) || t.minLearningRate > t.learningRate) {
    errors.push(`min learning rate must be between 0 and the learning rate (${t.learningRate}).`);
  }
  if (!(t.weightDecay >= 0)) errors.push(`weight decay must be 0 or more (got ${t.weightDecay}).`);
  if (!(t.gradClip >= 0)) errors.push(`gradient clip must be 0 (off) or more (got ${t.gradClip}).`);
  if (!Number.isInteger(t.warmupSteps) || t.warmupSteps < 0) {
    errors.push(`warmup steps must be a whole number of 0 or more (got ${t.warmupSteps}).`);
  }
  if (!Number.isInteger(t.evalInterval) || t.evalInterval < 0) {
    errors.push(
      `evaluation interval must be 0 (off) or a whole number of steps (got ${t.evalInterval}).`,
    );
  }
  if (!Number.isInteger(t.seed) || t.seed < 0 || t.seed > 0xffffffff) {
    errors.push(`seed must be a whole number from 0 to 4294967295 (got ${t.seed}).`);
  }
  if (errors.length > 0) return errors;

  if (trainTokens !== undefined && trainTokens < t.batchSize * (m.blockSize + 1)) {
    errors.push(
      `The training data has ${trainTokens} tokens, fewer than one batch of ${t.batchSize} blocks of ${m.blockSize + 1}. Lower block_size or batch size, or add data.`,
    );
  }
  if (limits) {
    const est = estimateMemory(m, t.batchSize);
    const cap = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    if (est.largestBufferBytes > cap) {
      errors.push(
        `The ${est.largestBufferName} would take ${mib(est.largestBufferBytes)}, over this GPU's largest buffer of ${mib(cap)}. Lower the batch size, block_size or n_embd, or pick a smaller preset.`,
      );
    }
  }
  return errors;
}
