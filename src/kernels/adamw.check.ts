import { submitOps } from '../gpu/ops';
import * as ref from '../reference/adamw';
import { type Comparison, compare, F32_EPS } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { Rng } from '../util/rng';
import { adamw } from './adamw';
import { type ParamRange, packDecayMask } from './decayMask';

// Each step is compared with one float64 step from the GPU's own f32 state before it, so the
// bound is that of one step (first order in 2^-24, hyperparameters rounded to f32 counted):
//   m: b1 m 3 roundings (b1, product, add), (1-b1) g s 4 (g s, 1-b1, product, add)
//      -> 4 eps mabs, mabs = |b1 m| + |(1-b1) g s|
//   v: all terms >= 0, at most 6 roundings on any path -> 6 eps v'
//   u = mhat / (sqrt(vhat) + eps): mhat carries c1 (4 + 2) eps mabs; vhat 8 eps, so sqrt 4 + 9
//      (WGSL sqrt is 1 / inverseSqrt, 4.5 ulp), eps rounded and added 2, divide 2.5 ulp = 5
//      -> 6 c1 eps mabs / den + 20 eps |u|
//   p' = p - lr (u + wd p): wd p 2, add 1, lr product 2, subtract 1
//   -> eps (|p'| + lr (6 c1 mabs / den + 23 |u| + 5 wd |p|))
const TOLERANCE =
  "per step from the GPU's previous state: m 4 eps (|b1 m| + |(1-b1) g s|), v 6 eps v', " +
  "p eps (|p'| + lr (6 c1 mabs / den + 23 |u| + 5 wd |p|)), eps = 2^-24, " +
  'u = mhat / den, den = sqrt(vhat) + eps_adam (roundings counted in adamw.check.ts)';

const steps: ref.AdamwStep[] = [1, 2, 3].map((step) => ({
  lr: [1e-3, 6e-4, 3e-4][step - 1], // a decaying schedule, written with setStep
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.1,
  step,
}));
// A different clip scale each step, since a constant one cancels in mhat / sqrt(vhat).
const clipScales = [0.6, 1, 0.25];

/** Decay runs of lengths 5, 37, 64, 3, 29 separated by gaps of 2, 31, 1, 40: most cross words. */
export function crossingRanges(n: number): ParamRange[] {
  const runs = [5, 37, 64, 3, 29];
  const gaps = [2, 31, 1, 40];
  const ranges: ParamRange[] = [];
  for (let offset = 0, k = 0; offset < n; k++) {
    const length = Math.min(runs[k % runs.length], n - offset);
    ranges.push({ offset, length });
    offset += length + gaps[k % gaps.length];
  }
  return ranges;
}

interface State {
  p: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

/** Per-element bounds of one step from `before`, as derived above. */
function stepBounds(
  before: State,
  g: Float32Array,
  s: number,
  mask: Uint32Array,
  hp: ref.AdamwStep,
) {
  const n = g.length;
  const c1 = 1 / (1 - hp.beta1 ** hp.step);
  const c2 = 1 / (1 - hp.beta2 ** hp.step);
  const bp = new Float64Array(n);
  const bm = new Float64Array(n);
  const bv = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const gs = g[i] * s;
    const mabs = Math.abs(hp.beta1 * before.m[i]) + Math.abs((1 - hp.beta1) * gs);
    const m = hp.beta1 * before.m[i] + (1 - hp.beta1) * gs;
    const v = hp.beta2 * before.v[i] + (1 - hp.beta2) * gs * gs;
    const den = Math.sqrt(v * c2) + hp.eps;
    const u = (m * c1) / den;
    const wdp = ref.decays(mask, i) ? hp.weightDecay * Math.abs(before.p[i]) : 0;
    const p = before.p[i] - hp.lr * (u + (ref.decays(mask, i) ? hp.weightDecay * before.p[i] : 0));
    bm[i] = 4 * F32_EPS * mabs + 1e-38;
    bv[i] = 6 * F32_EPS * v + 1e-38;
    bp[i] =
      F32_EPS * (Math.abs(p) + hp.lr * ((6 * c1 * mabs) / den + 23 * Math.abs(u) + 5 * wdp)) +
      1e-38;
  }
  return { bp, bm, bv };
}

function stepsCheck(n: number): KernelCheck {
  return {
    kernel: 'adamw',
    variant: '3 steps, clip scale, decay mask across words, lr by setStep',
    shape: `n=${n}`,
    tolerance: TOLERANCE,
    async run(ctx, bufs) {
      const rng = new Rng(n + 5);
      const mask = packDecayMask(n, crossingRanges(n));
      let state: State = {
        p: rng.normalArray(n, 0.02),
        m: new Float32Array(n),
        v: new Float32Array(n),
      };
      const grads = [0, 1, 2].map(() => rng.normalArray(n));
      const params = bufs.upload('params', state.p);
      const m = bufs.zeros('m', n);
      const v = bufs.zeros('v', n);
      const gradsBuf = bufs.upload('grads', grads[0]);
      const norm = bufs.upload('norm', Float32Array.of(0, clipScales[0]));
      const op = await adamw(
        ctx,
        params,
        m,
        v,
        gradsBuf,
        norm,
        bufs.upload('mask', mask),
        n,
        steps[0],
      );
      const results: Record<string, Comparison> = {};
      for (let k = 0; k < steps.length; k++) {
        if (k > 0) {
          op.setStep(steps[k]);
          const g = grads[k];
          ctx.device.queue.writeBuffer(gradsBuf, 0, g.buffer, g.byteOffset, g.byteLength);
          ctx.device.queue.writeBuffer(norm, 0, Float32Array.of(0, clipScales[k]));
        }
        submitOps(ctx, [op]);
        const after: State = {
          p: await bufs.read(params, n),
          m: await bufs.read(m, n),
          v: await bufs.read(v, n),
        };
        const expected = {
          p: Float64Array.from(state.p),
          m: Float64Array.from(state.m),
          v: Float64Array.from(state.v),
        };
        const normValue = [0, Math.fround(clipScales[k])];
        ref.adamw(expected.p, expected.m, expected.v, grads[k], normValue, mask, steps[k]);
        const { bp, bm, bv } = stepBounds(state, grads[k], normValue[1], mask, steps[k]);
        const t = steps[k].step;
        results[`params t=${t}`] = compare(after.p, expected.p, (i) => bp[i]);
        results[`m t=${t}`] = compare(after.m, expected.m, (i) => bm[i]);
        results[`v t=${t}`] = compare(after.v, expected.v, (i) => bv[i]);
        state = after;
      }
      return results;
    },
  };
}

export const adamwChecks: KernelCheck[] = [1, 7, 33, 129, 70_001].map(stepsCheck);
