import { submitOps } from '../gpu/ops';
import * as ref from '../reference/scale';
import { compare, F32_EPS } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { Rng } from '../util/rng';
import { scale } from './scale';

// c is rounded to f32 once (|c32 - c| <= 2^-24 |c|) and the product once more.
const TOLERANCE = '|err| <= 2 * 2^-24 |c x| (c rounded to f32, one correctly rounded product)';

function check(n: number, c: number): KernelCheck {
  return {
    kernel: 'scale',
    variant: `x *= ${c}`,
    shape: `n=${n}`,
    tolerance: TOLERANCE,
    async run(ctx, bufs) {
      const x = new Rng(n).normalArray(n);
      const buf = bufs.upload('x', x);
      submitOps(ctx, [await scale(ctx, buf, n, c)]);
      const expected = Float64Array.from(x);
      ref.scale(expected, c);
      return {
        x: compare(
          await bufs.read(buf, n),
          expected,
          (i) => 2 * F32_EPS * Math.abs(expected[i]) + 1e-38,
        ),
      };
    },
  };
}

export const scaleChecks: KernelCheck[] = [
  check(1, 2),
  check(7, 1 / 3),
  check(33, 16 / 3),
  check(129, -0.1),
  check(70_001, 0.5),
];
