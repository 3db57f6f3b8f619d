// Reference Adam on the LoRA factors, each entry of A and B on its own: the usual LoRA baseline,
// and the tests' negative control (its update of Z depends on how Z is factored).

import { adamw } from '../../reference/adamw';
import { type Mat, zeros } from '../linalg';
import type { LoraGrad, LoraPair } from './lora';

export interface AdamHp {
  lr: number;
  beta1: number; // 0.9
  beta2: number; // 0.999
  eps: number; // 1e-8, added to sqrt of the bias-corrected second moment
  weightDecay: number; // decoupled (AdamW): x <- x - lr wd x
}

export const adamDefaults: Omit<AdamHp, 'lr'> = {
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
};

export interface AdamMoments {
  m: Mat; // same shape as the factor
  v: Mat;
}

export interface AdamState {
  t: number; // steps taken
  pairs: { a: AdamMoments; b: AdamMoments }[];
}

export function createAdamState(pairs: readonly LoraPair[]): AdamState {
  const moments = (x: Mat): AdamMoments => ({ m: zeros(x.rows, x.cols), v: zeros(x.rows, x.cols) });
  return { t: 0, pairs: pairs.map(({ a, b }) => ({ a: moments(a), b: moments(b) })) };
}

// Every entry of a factor takes the weight decay, and the gradient is used unscaled.
const UNSCALED = [0, 1];

// x (rows, r) updated in place from dx (rows, r), step t >= 1: the model's AdamW on its entries
function adamFactor(x: Mat, s: AdamMoments, dx: Mat, t: number, hp: AdamHp): void {
  const everyEntry = new Uint32Array(Math.ceil(x.data.length / 32)).fill(0xffffffff);
  adamw(x.data, s.m.data, s.v.data, dx.data, UNSCALED, everyEntry, { ...hp, step: t });
}

// pairs (A (m, r), B (n, r)) updated in place from grads (dA (m, r), dB (n, r))
export function adamStep(
  pairs: readonly LoraPair[],
  grads: readonly LoraGrad[],
  state: AdamState,
  hp: AdamHp,
): void {
  state.t++;
  pairs.forEach(({ a, b }, i) => {
    adamFactor(a, state.pairs[i].a, grads[i].da, state.t, hp);
    adamFactor(b, state.pairs[i].b, grads[i].db, state.t, hp);
  });
}
