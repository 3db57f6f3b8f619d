import { submitOps } from '../gpu/ops';
import * as ref from '../reference/gelu';
import { compare, F32_EPS } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { Rng } from '../util/rng';
import { geluBackward, geluForward } from './gelu';

// The kernel computes gelu = x sigma(a), a = 2u, sigma from e = exp(-|a|). WGSL allows exp
// 3 + 2|a| ulps (<= (6 + 4|a|) 2^-24 relative) and a division 2.5 ulps (5 * 2^-24); a itself
// carries 7 roundings (x^3, two constants, three products, one same-sign add), so e is off by
// (6 + 11|a|) 2^-24, r = 1 / (1 + e) by (9 + 5.5|a|), sigma = e r by (16 + 16.5|a|), and x sigma
// by one more. Results below the normal range (|a| > 87) may be flushed: |x| 2^-126.
export const GELU_FORWARD_TOLERANCE =
  '|err| <= (17 + 17|a|) 2^-24 |gelu(x)| + |x| 2^-126, a = 2 sqrt(2/pi) (x + 0.044715 x^3) (exp: 3 + 2|a| ulps, division 2.5 ulps, 7 roundings in a)';
// grad = sigma + x a' sigma (1 - sigma), sigma (1 - sigma) = e r^2: (26 + 22|a|) 2^-24 relative;
// a' = 2 sqrt(2/pi) (1 + 0.134145 x^2) 6 roundings, two products and the sum: each term of grad
// within (35 + 22|a|) 2^-24 of itself; then dout * grad and the += one rounding each.
export const GELU_BACKWARD_TOLERANCE =
  "|err| <= (36 + 22|a|) 2^-24 |dout| (sigma + |x a' sigma (1 - sigma)|) + 2^-24 |dinp| + |dout| (1 + |x a'|) 2^-126";

const S = Math.sqrt(2 / Math.PI);

/** GELU_FORWARD_TOLERANCE at input x whose exact gelu is `exact` (also the fc matmul's epilogue). */
export function geluForwardBound(x: number, exact: number): number {
  const a = 2 * S * (x + 0.044715 * x ** 3);
  return (17 + 17 * Math.abs(a)) * F32_EPS * Math.abs(exact) + Math.abs(x) * 2 ** -126;
}

// Mostly moderate values where gelu bends, plus a quarter spread over [-20, 20] to cover the tails.
function inputs(rng: Rng, n: number): Float32Array {
  const x = rng.normalArray(n, 2);
  for (let i = 0; i < n; i += 4) x[i] = Math.fround(rng.uniform() * 40 - 20);
  return x;
}

/** BACKWARD_TOLERANCE at input x and gradient dout, the exact result being `exact`. */
export function geluBackwardBound(x: number, dout: number, exact: number): number {
  const u = S * (x + 0.044715 * x ** 3);
  const sigma = 1 / (1 + Math.exp(-2 * u));
  const xda = x * 2 * S * (1 + 3 * 0.044715 * x ** 2);
  const term = Math.abs(xda) / (4 * Math.cosh(u) ** 2);
  const g = Math.abs(dout);
  return (
    (36 + 44 * Math.abs(u)) * F32_EPS * g * (sigma + term) +
    F32_EPS * Math.abs(exact) +
    g * (1 + Math.abs(xda)) * 2 ** -126
  );
}

function forwardCheck(n: number): KernelCheck {
  return {
    kernel: 'gelu',
    variant: 'forward',
    shape: `n=${n}`,
    tolerance: GELU_FORWARD_TOLERANCE,
    async run(ctx, bufs) {
      const x = inputs(new Rng(n), n);
      const out = bufs.zeros('out', n);
      submitOps(ctx, [await geluForward(ctx, out, bufs.upload('inp', x), n)]);
      const expected = new Float64Array(n);
      ref.geluForward(expected, x, n);
      const bound = (i: number) => geluForwardBound(x[i], expected[i]);
      return { out: compare(await bufs.read(out, n), expected, bound) };
    },
  };
}

function backwardCheck(n: number): KernelCheck {
  return {
    kernel: 'gelu',
    variant: 'backward',
    shape: `n=${n}`,
    tolerance: GELU_BACKWARD_TOLERANCE,
    async run(ctx, bufs) {
      const rng = new Rng(n + 1);
      const x = inputs(rng, n);
      const dout = rng.normalArray(n);
      const dinp0 = rng.normalArray(n);
      const dinp = bufs.upload('dinp', dinp0);
      submitOps(ctx, [
        await geluBackward(ctx, dinp, bufs.upload('inp', x), bufs.upload('dout', dout), n),
      ]);
      const expected = Float64Array.from(dinp0);
      ref.geluBackward(expected, x, dout, n);
      const bound = (i: number) => geluBackwardBound(x[i], dout[i], expected[i]);
      return { dinp: compare(await bufs.read(dinp, n), expected, bound) };
    },
  };
}

const SIZES = [1, 7, 33, 129, 70_001];

export const geluChecks: KernelCheck[] = [...SIZES.map(forwardCheck), ...SIZES.map(backwardCheck)];
