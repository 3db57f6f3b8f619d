import { submitOps } from '../gpu/ops';
import * as ref from '../reference/residual';
import { compare, F32_EPS } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { Rng } from '../util/rng';
import { residualAccumulate, residualForward } from './residual';

// One f32 addition of exact f32 inputs is correctly rounded: |err| <= eps * |a + b|.
const TOLERANCE = '|err| <= 2^-24 |a + b| (one correctly rounded f32 add)';
const bound = (expected: Float64Array) => (i: number) => F32_EPS * Math.abs(expected[i]) + 1e-38;

function forwardCheck(n: number): KernelCheck {
  return {
    kernel: 'residual',
    variant: 'forward',
    shape: `n=${n}`,
    tolerance: TOLERANCE,
    async run(ctx, bufs) {
      const rng = new Rng(n);
      const a = rng.normalArray(n);
      const b = rng.normalArray(n);
      const out = bufs.zeros('out', n);
      submitOps(ctx, [
        await residualForward(ctx, out, bufs.upload('a', a), bufs.upload('b', b), n),
      ]);
      const expected = new Float64Array(n);
      ref.residualForward(expected, a, b);
      return { out: compare(await bufs.read(out, n), expected, bound(expected)) };
    },
  };
}

function accumulateCheck(n: number): KernelCheck {
  return {
    kernel: 'residual',
    variant: 'accumulate',
    shape: `n=${n}`,
    tolerance: TOLERANCE,
    async run(ctx, bufs) {
      const rng = new Rng(n + 1);
      const a = rng.normalArray(n);
      const b = rng.normalArray(n);
      const out = bufs.upload('out', a);
      submitOps(ctx, [await residualAccumulate(ctx, out, bufs.upload('b', b), n)]);
      const expected = Float64Array.from(a);
      ref.residualAccumulate(expected, b);
      return { out: compare(await bufs.read(out, n), expected, bound(expected)) };
    },
  };
}

export const residualChecks: KernelCheck[] = [
  ...[1, 7, 33, 129, 70_001].map(forwardCheck),
  ...[1, 129, 4099].map(accumulateCheck),
];
