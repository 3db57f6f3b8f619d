import type { GpuContext } from '../gpu/device';
import { submitOps } from '../gpu/ops';
import * as ref from '../reference/gradnorm';
import type { CheckBuffers } from '../selftest/checkBuffers';
import { compare, F32_EPS } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { Rng } from '../util/rng';
import {
  ELEMS_PER_WG,
  GRAD_NORM_FINISH_WG,
  GRAD_NORM_PER_THREAD,
  GRAD_NORM_WG,
  gradNorm,
  gradNormPartialsLength,
} from './gradnorm';

// Every square passes through at most d roundings: its own, PER_THREAD - 1 strided adds, the
// log2(WG) tree, ceil(partials / FINISH_WG) - 1 adds in finish and its log2(FINISH_WG) tree.
// Terms are non-negative, so the sum is off by at most d 2^-24 relative; the sqrt halves that and
// adds its own error (WGSL allows 1 / inverseSqrt: 2 + 2.5 ulp = 9 units of 2^-24).
function normRelError(n: number): number {
  const d =
    1 +
    (GRAD_NORM_PER_THREAD - 1) +
    Math.log2(GRAD_NORM_WG) +
    (Math.ceil(gradNormPartialsLength(n) / GRAD_NORM_FINISH_WG) - 1) +
    Math.log2(GRAD_NORM_FINISH_WG);
  return (d / 2 + 9) * F32_EPS;
}
const TOLERANCE =
  'norm: (d/2 + 9) 2^-24 |norm|, d = PER_THREAD + log2(WG) + ceil(partials/FINISH_WG) - 1 + ' +
  'log2(FINISH_WG) (depth of the summation tree, sqrt within 4.5 ulp); scale: that + 8 2^-24 ' +
  '(maxNorm and 1e-6 rounded to f32, one add, a 2.5-ulp divide), relative to the scale';

async function runGradNorm(
  ctx: GpuContext,
  bufs: CheckBuffers,
  g: Float32Array,
  maxNorm: number,
): Promise<Float32Array> {
  const n = g.length;
  const norm = bufs.zeros('norm', 2);
  const partials = bufs.zeros('partials', gradNormPartialsLength(n));
  submitOps(ctx, [await gradNorm(ctx, norm, partials, bufs.upload('grads', g), n, maxNorm)]);
  return bufs.read(norm, 2);
}

function check(
  variant: string,
  n: number,
  grads: (rng: Rng) => Float32Array,
  maxNormOver: number,
): KernelCheck {
  return {
    kernel: 'gradnorm',
    variant,
    shape: `n=${n}`,
    tolerance: TOLERANCE,
    async run(ctx, bufs) {
      const g = grads(new Rng(n + 17));
      const exact = new Float64Array(2);
      ref.gradNorm(exact, g, 0);
      // maxNorm set relative to the true norm, so "active" and "inactive" hold at every n.
      const maxNorm = maxNormOver * exact[0];
      ref.gradNorm(exact, g, maxNorm);
      const actual = await runGradNorm(ctx, bufs, g, maxNorm);
      const rel = normRelError(n);
      return {
        norm: compare(actual.subarray(0, 1), exact.subarray(0, 1), () => rel * exact[0] + 1e-38),
        scale: compare(actual.subarray(1), exact.subarray(1), () => (rel + 8 * F32_EPS) * exact[1]),
      };
    },
  };
}

const normals = (n: number) => (rng: Rng) => rng.normalArray(n);
// Magnitudes ~1e3 interleaved at random with ~1e-3: the squares span 12 decades, the sum of
// squares reaches ~1e11 at n = 1M, and the small terms fall below the rounding of the total.
const mixedMagnitudes = (n: number) => (rng: Rng) => {
  const g = new Float32Array(n);
  for (let i = 0; i < n; i++) g[i] = rng.normal() * (rng.uniform() < 0.5 ? 1e3 : 1e-3);
  return g;
};

/** Stage 2 loops only when there are more partials than its workgroup has invocations. */
const TWO_FINISH_ROUNDS = (GRAD_NORM_FINISH_WG + 2) * ELEMS_PER_WG - 7;

function determinismCheck(n: number): KernelCheck {
  return {
    kernel: 'gradnorm',
    variant: 'deterministic: two runs bit-identical',
    shape: `n=${n}`,
    tolerance: 'bit-identical (fixed reduction order, no atomics)',
    async run(ctx, bufs) {
      const g = mixedMagnitudes(n)(new Rng(n));
      const first = new Uint32Array((await runGradNorm(ctx, bufs, g, 1)).buffer);
      const second = new Uint32Array((await runGradNorm(ctx, bufs, g, 1)).buffer);
      // The bit patterns as integers: any difference is at least 1.
      return { 'norm bits': compare(second, first, () => 0.5) };
    },
  };
}

export const gradNormChecks: KernelCheck[] = [
  ...[1, 7, 33, 129, 70_001].map((n) => check('clip active', n, normals(n), 0.5)),
  ...[7, 70_001].map((n) => check('clip inactive', n, normals(n), 2)),
  check('no clipping (maxNorm 0)', 129, normals(129), 0),
  ...[70_001, TWO_FINISH_ROUNDS].map((n) =>
    check('magnitudes 1e3 and 1e-3 mixed, clip active', n, mixedMagnitudes(n), 0.5),
  ),
  determinismCheck(70_001),
];
