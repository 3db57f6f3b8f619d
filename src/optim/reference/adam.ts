// Reference Adam on the LoRA factors, each entry of A and B on its own: the usual LoRA baseline,
// and the tests' negative control (its update of Z depends on how Z is factored).

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

// x (rows, r) updated in place from dx (rows, r), step t >= 1
function adamFactor(x: Mat, s: AdamMoments, dx: Mat, t: number, hp: AdamHp): void {
  const biasCorrection1 = 1 - hp.beta1 ** t;
  const biasCorrection2 = 1 - hp.beta2 ** t;
  for (let i = 0; i < x.data.length; i++) {
    const g = dx.data[i];
    s.m.data[i] = hp.beta1 * s.m.data[i] + (1 - hp.beta1) * g;
    s.v.data[i] = hp.beta2 * s.v.data[i] + (1 - hp.beta2) * g * g;
    const mhat = s.m.data[i] / biasCorrection1;
    const vhat = s.v.data[i] / biasCorrection2;
    x.data[i] -= hp.lr * (mhat / (Math.sqrt(vhat) + hp.eps) + hp.weightDecay * x.data[i]);
  }
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
