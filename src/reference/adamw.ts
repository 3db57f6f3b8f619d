// Float64 twin of shaders/adamw.wgsl, and the one AdamW of every float64 reference (the LoRA
// Adam of src/optim/reference/adam.ts runs it on each factor).

export interface AdamwStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step t, for the bias corrections 1 - beta^t. */
  step: number;
}

/** Whether parameter i takes weight decay under a mask from kernels/decayMask.ts packDecayMask. */
export function decays(mask: Uint32Array, i: number): boolean {
  return ((mask[i >>> 5] >>> (i & 31)) & 1) === 1;
}

// params, m, v (n) updated in place from grads (n) * norm[1]; decayMask (ceil(n / 32)) bits
export function adamw(
  params: Float64Array,
  m: Float64Array,
  v: Float64Array,
  grads: ArrayLike<number>,
  norm: ArrayLike<number>,
  decayMask: Uint32Array,
  hp: AdamwStep,
): void {
  const { lr, beta1, beta2, eps, weightDecay, step } = hp;
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i] * norm[1];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    const mhat = m[i] / biasCorrection1;
    const vhat = v[i] / biasCorrection2;
    const decay = decays(decayMask, i) ? weightDecay : 0;
    params[i] -= lr * (mhat / (Math.sqrt(vhat) + eps) + decay * params[i]);
  }
}
