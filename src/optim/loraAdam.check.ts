import { type Comparison, compare, F32_EPS } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { loraGpuRun } from './loraGpuRun';
import { decodeNonFinite, type LoraOptimizerSettings, type LoraShape } from './loraOptimizer';
import { cloneFactors, loraProblem, problemGrads } from './loraProblem';
import { type AdamHp, adamDefaults, adamStep, createAdamState } from './reference/adam';

// GPU and float64 reference take the same f32 gradients each step (from the reference's factors),
// so only Adam's own rounding separates them. Per element, with s the 1-based step and the
// roundings of adamw.check.ts (f32 hyperparameters counted as one rounding each):
//   m: each step adds 4 eps |terms|, later steps shrink old errors by b1, and b1^k mabs(s - k)
//      <= mabs(s) for mabs the same average of |g|: |dm(s)| <= 4 s eps mabs(s);
//   v: every term >= 0, 6 roundings a step: relative 6 s eps; den = sqrt(vhat) + eps_adam then
//      3 s eps + sqrt (4.5 ulp) + add (2) + divide (2.5): (3 s + 9) eps relative;
//   u = mhat / den: |du| <= c1 (4 s + 2) eps mabs / den + (3 s + 9) eps |u|;
//   p' = p - lr (u + wd p): eps |p'| + lr (|du| + 4 eps |u| + 5 wd eps |p|).
// Errors of p add over the steps (p does not feed back: the gradients are shared).
const TOLERANCE =
  'sum over steps s of eps |p(s)| + lr (c1 (4 s + 2) eps mabs / den + (3 s + 13) eps |u| + ' +
  '5 wd eps |p|), eps = 2^-24, mabs the running average of |g| (derivation in loraAdam.check.ts)';

const steps = 20;
export const mixedShapes: LoraShape[] = [
  { m: 33, n: 7, r: 4 },
  { m: 129, n: 65, r: 8 },
  { m: 16, n: 200, r: 1 },
];

export function adamSettings(hp: AdamHp, clipNorm = 0): LoraOptimizerSettings {
  return { kind: 'adam', ...hp, escapedMass: false, clipNorm };
}

function worst(a: Comparison | undefined, b: Comparison): Comparison {
  return a && a.worstRatio >= b.worstRatio ? a : b;
}

function referenceCheck(shapes: readonly LoraShape[], hp: AdamHp): KernelCheck {
  return {
    kernel: 'lora_adam',
    variant: `against reference Adam, wd ${hp.weightDecay}`,
    shape: `${shapes.map(({ m, n, r }) => `(${m},${n},${r})`).join(' ')}, ${steps} steps`,
    tolerance: TOLERANCE,
    async run(ctx, bufs) {
      const problem = loraProblem(shapes, { steps, batchSize: 24, zeroA: false, seed: 3 });
      const pairs = cloneFactors(problem.start);
      const state = createAdamState(pairs);
      const run = await loraGpuRun(ctx, bufs, problem.start, adamSettings(hp));
      // per factor entry: running average of |g| and the accumulated bound
      const factors = pairs.flatMap(({ a, b }) => [a, b]);
      const mabs = factors.map((x) => new Float64Array(x.data.length));
      const bound = factors.map((x) => new Float64Array(x.data.length));
      const out: Record<string, Comparison> = {};
      try {
        for (let t = 0; t < steps; t++) {
          const grads = problemGrads(pairs, problem, t);
          const got = await run.step(t, grads);
          const before = factors.map((x) => x.data.slice());
          adamStep(pairs, grads, state, hp);
          const s = t + 1;
          const c1 = 1 / (1 - hp.beta1 ** s);
          const c2 = 1 / (1 - hp.beta2 ** s);
          const moments = state.pairs.flatMap(({ a, b }) => [a, b]);
          const g = grads.flatMap(({ da, db }) => [da, db]);
          factors.forEach((x, f) => {
            for (let i = 0; i < x.data.length; i++) {
              mabs[f][i] = hp.beta1 * mabs[f][i] + (1 - hp.beta1) * Math.abs(g[f].data[i]);
              const den = Math.sqrt(moments[f].v.data[i] * c2) + hp.eps;
              const u = Math.abs((moments[f].m.data[i] * c1) / den);
              const p = Math.abs(before[f][i]);
              bound[f][i] +=
                F32_EPS *
                (Math.abs(x.data[i]) +
                  hp.lr *
                    ((c1 * (4 * s + 2) * mabs[f][i]) / den +
                      (3 * s + 13) * u +
                      5 * hp.weightDecay * p));
            }
          });
          got.pairs.forEach(({ a, b }, i) => {
            for (const [name, gpu, f] of [
              [`A${i}`, a, 2 * i],
              [`B${i}`, b, 2 * i + 1],
            ] as const) {
              out[name] = worst(
                out[name],
                compare(gpu.data, factors[f].data, (k) => bound[f][k] + 1e-38),
              );
            }
          });
        }
      } finally {
        run.destroy();
      }
      return out;
    },
  };
}

/**
 * A NaN written into one entry of one pair's gradient: the status must name that pair and that
 * gradient, whatever the NaN did to the other pairs through the shared clip.
 */
export function nonFiniteCheck(
  kernel: string,
  settings: LoraOptimizerSettings,
  shapes: readonly LoraShape[],
): KernelCheck {
  const poisoned = 1;
  return {
    kernel,
    variant: `NaN in pair${poisoned}'s dB: reported with that pair and quantity`,
    shape: `${shapes.length} pairs, clip ${settings.clipNorm}`,
    tolerance: 'exact: finite steps report nothing, the poisoned one "pair1: gradient dB"',
    async run(ctx, bufs) {
      const problem = loraProblem(shapes, { steps: 3, batchSize: 8, zeroA: false, seed: 5 });
      const run = await loraGpuRun(ctx, bufs, problem.start, settings);
      const names = shapes.map((_, i) => `pair${i}`);
      const seen: string[] = [];
      try {
        let pairs = cloneFactors(problem.start);
        for (let t = 0; t < 3; t++) {
          const grads = problemGrads(pairs, problem, t);
          if (t === 2) grads[poisoned].db.data[3] = Number.NaN;
          const got = await run.step(t, grads);
          pairs = got.pairs;
          const report = decodeNonFinite(got.status, names);
          seen.push(report ? `${report.pair}: ${report.quantity}` : 'finite');
        }
      } finally {
        run.destroy();
      }
      const expected = ['finite', 'finite', `pair${poisoned}: gradient dB`];
      // one entry per step: 0 when the report is the expected one, against a bound of 0.5
      const wrong = expected.map((e, t) => (seen[t] === e ? 0 : 1));
      if (wrong.some((w) => w)) throw new Error(`reported per step: ${seen.join('; ')}`);
      return { report: compare(wrong, [0, 0, 0], () => 0.5) };
    },
  };
}

export const loraAdamChecks: KernelCheck[] = [
  referenceCheck(mixedShapes, { ...adamDefaults, lr: 1e-2 }),
  referenceCheck(mixedShapes.slice(0, 2), { ...adamDefaults, lr: 3e-3, weightDecay: 0.1 }),
  nonFiniteCheck('lora_adam', adamSettings({ ...adamDefaults, lr: 1e-2 }, 1), mixedShapes),
];
