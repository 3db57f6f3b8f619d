// PyTorch ground truth (src/reference/fixtures/, written by python/make_fixtures.py in float64
// with PyTorch's own modules and optimizer): the fixture files' types, their decoding, and the
// comparison the tests hold the float64 reference and the GPU engine to.
import bpe from './fixtures/gpt-bpe.json';
import byte from './fixtures/gpt-byte.json';
import lora from './fixtures/lora-adam.json';

/** A tensor in full (f64), or, when large, its sum, sum of squares and every stride-th value. */
export interface FixtureTensor {
  shape: number[];
  sum: number;
  sumSq: number;
  f64?: string;
  stride?: number;
  sample?: string;
}

export interface GptFixture {
  name: string;
  model: { blockSize: number; vocabSize: number; nLayer: number; nHead: number; nEmbd: number };
  seed: number;
  /** sha256 of the studio's float32 init in its flat layout, as make_fixtures.py reproduced it. */
  initSha256: string;
  inputs: number[][];
  targets: number[][];
  logits: FixtureTensor;
  loss: number;
  /** d loss / d parameter, by the studio's names and layouts. */
  grads: Record<string, FixtureTensor>;
  train: {
    batchSize: number;
    lr: number;
    beta1: number;
    beta2: number;
    weightDecay: number;
    gradClip: number;
  };
  /** Three torch.optim.AdamW steps on the same batch (decay on the studio's mask, clip). */
  adamw: { losses: number[]; gradNorms: number[]; params: Record<string, FixtureTensor> };
}

export const GPT_FIXTURES: readonly GptFixture[] = [byte as GptFixture, bpe as GptFixture];

/** LoRA on every linear layer of gpt-byte's model, three torch.optim.Adam steps, base frozen. */
export interface LoraFixture {
  model: GptFixture['model'];
  seed: number;
  rank: number;
  alpha: number;
  lr: number;
  /** Adapted layers, e.g. "h.0.attn.c_attn", in the studio's pair order. */
  targets: string[];
  inputs: number[][];
  labels: number[][];
  /** A (out, r) and B (in, r) of each layer, before the first step and after the third. */
  init: Record<string, { A: FixtureTensor; B: FixtureTensor }>;
  after: Record<string, { A: FixtureTensor; B: FixtureTensor }>;
  /** The loss before each step. */
  losses: number[];
}

export const LORA_FIXTURE = lora as LoraFixture;

function decode(b64: string): Float64Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float64Array(bytes.buffer);
}

/** The stored values and their flat indices (all of them, or the strided sample). */
export function storedValues(t: FixtureTensor): {
  index: (k: number) => number;
  values: Float64Array;
} {
  if (t.f64 !== undefined) return { index: (k) => k, values: decode(t.f64) };
  const stride = t.stride ?? 1;
  return { index: (k) => k * stride, values: decode(t.sample ?? '') };
}

/**
 * The largest error of `actual` against the fixture, relative to the fixture tensor's largest
 * stored magnitude (the scale every rounding error of the tensor is proportional to), and the
 * relative errors of the sum and sum of squares (which cover every value of a sampled tensor).
 */
export function tensorError(actual: ArrayLike<number>, t: FixtureTensor): number {
  const { index, values } = storedValues(t);
  let scale = 0;
  for (const v of values) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let k = 0; k < values.length; k++) {
    worst = Math.max(worst, Math.abs(actual[index(k)] - values[k]));
  }
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < actual.length; i++) {
    sum += actual[i];
    sumSq += actual[i] * actual[i];
  }
  const n = actual.length;
  // The sum's error is measured against what n values of the scale could add up to.
  const sumError = Math.abs(sum - t.sum) / (n * scale);
  const sumSqError = Math.abs(sumSq - t.sumSq) / Math.max(t.sumSq, Number.MIN_VALUE);
  return Math.max(scale > 0 ? worst / scale : worst, sumError, sumSqError);
}
