import type { GpuContext } from '../gpu/device';
import { submitOps } from '../gpu/ops';
import * as ref from '../reference/layernorm';
import type { CheckBuffers } from '../selftest/checkBuffers';
import { compare, F32_EPS } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { Rng } from '../util/rng';
import { LN_COL_LANES, layernormBackward, layernormForward, layernormRowLanes } from './layernorm';

// Longest chain of additions in a fixed-tree sum of `count` terms over `lanes` invocations:
// each invocation adds its ceil(count / lanes) terms in order, then log2(lanes) tree levels.
const depth = (count: number, lanes: number) => Math.ceil(count / lanes) + Math.log2(lanes);

// With d the row sum's depth and A = mean|x|: the row sum is off by d 2^-24 sum|x| and the division
// by C (2.5 ulps = 5 * 2^-24) adds 5, so mean is within (d + 5) 2^-24 A. The mean's error cancels
// to first order in sum (x - m)^2, so var is off by (d + 3) from the sum of squares, + 5 for /C,
// + 2 for + eps; inverseSqrt (2 ulps) gives rstd (d/2 + 9) 2^-24 relative. Then x - m, * rstd,
// * w and + b each round once.
const FORWARD_TOLERANCE =
  'out: 2^-24 [(d+5) rstd mean|x| |w| + (d/2+12) |xhat w| + |out|]; mean: (d+5) 2^-24 mean|x|; rstd: (d/2+9) 2^-24 rstd; d = ceil(C/L) + log2(L), L lanes a row (row sum depth; division 2.5 ulps, inverseSqrt 2 ulps)';
// Backward is fed the reference's mean and rstd rounded to f32, so xhat is within 3 2^-24 H,
// H = (|x| + |mean|) rstd. The two row means of dnorm = w dout and dnorm xhat are off by
// (d + 6) and (d + 10) 2^-24 times their sums of magnitudes; the bracket, * rstd and += add the
// rest. Column sums over N rows: dc = ceil(N/8) + log2(8), each term dout xhat 4 roundings.
const BACKWARD_TOLERANCE =
  'dinp: 2^-24 [rstd ((d+11)(|dnorm| + mean|dnorm|) + (d+17) H mean(|dnorm| H)) + |dinp|], dnorm = w dout, H = (|x| + |mean|) rstd; dweight: 2^-24 [(dc+4) sum_n |dout| H + |dweight|]; dbias: 2^-24 [dc sum_n |dout| + |dbias|]; d = ceil(C/L) + log2(L), dc = ceil(N/8) + 3';

interface Inputs {
  x: Float32Array;
  w: Float32Array;
  b: Float32Array;
}

// Each row gets its own offset, often many times its spread, so the two-pass variance matters.
function inputs(rng: Rng, N: number, C: number): Inputs {
  const x = new Float32Array(N * C);
  for (let n = 0; n < N; n++) {
    const offset = 3 * rng.normal();
    const scale = Math.exp(rng.normal());
    for (let i = 0; i < C; i++) x[n * C + i] = offset + scale * rng.normal();
  }
  return { x, w: rng.normalArray(C), b: rng.normalArray(C) };
}

const meanAbs = (v: ArrayLike<number>, from: number, count: number) => {
  let s = 0;
  for (let i = from; i < from + count; i++) s += Math.abs(v[i]);
  return s / count;
};

function forwardCheck(N: number, C: number): KernelCheck {
  return {
    kernel: 'layernorm',
    variant: 'forward',
    shape: `N=${N} C=${C}`,
    tolerance: FORWARD_TOLERANCE,
    async run(ctx, bufs) {
      const { x, w, b } = inputs(new Rng(N * 1000 + C), N, C);
      const out = bufs.zeros('out', N * C);
      const mean = bufs.zeros('mean', N);
      const rstd = bufs.zeros('rstd', N);
      const [xb, wb, bb] = [bufs.upload('inp', x), bufs.upload('w', w), bufs.upload('b', b)];
      submitOps(ctx, [await layernormForward(ctx, out, mean, rstd, xb, wb, bb, N, C)]);
      const eOut = new Float64Array(N * C);
      const eMean = new Float64Array(N);
      const eRstd = new Float64Array(N);
      ref.layernormForward(eOut, eMean, eRstd, x, w, b, N, C);

      const d = depth(C, layernormRowLanes(C));
      const A = Float64Array.from({ length: N }, (_, n) => meanAbs(x, n * C, C));
      const outBound = (k: number) => {
        const n = Math.floor(k / C);
        const i = k % C;
        const xhatW = Math.abs((x[k] - eMean[n]) * eRstd[n] * w[i]);
        return (
          F32_EPS *
          ((d + 5) * eRstd[n] * A[n] * Math.abs(w[i]) + (d / 2 + 12) * xhatW + Math.abs(eOut[k]))
        );
      };
      return {
        out: compare(await bufs.read(out, N * C), eOut, outBound),
        mean: compare(await bufs.read(mean, N), eMean, (n) => (d + 5) * F32_EPS * A[n]),
        rstd: compare(await bufs.read(rstd, N), eRstd, (n) => (d / 2 + 9) * F32_EPS * eRstd[n]),
      };
    },
  };
}

function backwardCheck(N: number, C: number): KernelCheck {
  return {
    kernel: 'layernorm',
    variant: 'backward',
    shape: `N=${N} C=${C}`,
    tolerance: BACKWARD_TOLERANCE,
    async run(ctx, bufs) {
      const rng = new Rng(N * 1000 + C + 1);
      const { x, w, b } = inputs(rng, N, C);
      const dout = rng.normalArray(N * C);
      // Nonzero starting gradients: backward must add into them.
      const dinp0 = rng.normalArray(N * C);
      const dweight0 = rng.normalArray(C);
      const dbias0 = rng.normalArray(C);
      const m64 = new Float64Array(N);
      const r64 = new Float64Array(N);
      ref.layernormForward(new Float64Array(N * C), m64, r64, x, w, b, N, C);
      // The kernel gets the saved statistics in f32, and so does the reference: only backward's
      // own rounding is measured.
      const mean = Float32Array.from(m64);
      const rstd = Float32Array.from(r64);

      const dinp = bufs.upload('dinp', dinp0);
      const dweight = bufs.upload('dweight', dweight0);
      const dbias = bufs.upload('dbias', dbias0);
      const op = await layernormBackward(
        ctx,
        dinp,
        dweight,
        dbias,
        bufs.upload('dout', dout),
        bufs.upload('inp', x),
        bufs.upload('w', w),
        bufs.upload('mean', mean),
        bufs.upload('rstd', rstd),
        N,
        C,
      );
      submitOps(ctx, [op]);
      const eDinp = Float64Array.from(dinp0);
      const eDweight = Float64Array.from(dweight0);
      const eDbias = Float64Array.from(dbias0);
      ref.layernormBackward(eDinp, eDweight, eDbias, dout, x, w, mean, rstd, N, C);

      const d = depth(C, layernormRowLanes(C));
      const dc = depth(N, LN_COL_LANES);
      const H = Float64Array.from(
        { length: N * C },
        (_, k) => (Math.abs(x[k]) + Math.abs(mean[Math.floor(k / C)])) * rstd[Math.floor(k / C)],
      );
      const dnorm = Float64Array.from({ length: N * C }, (_, k) => Math.abs(w[k % C] * dout[k]));
      const dnormMean = Float64Array.from({ length: N }, (_, n) => meanAbs(dnorm, n * C, C));
      const dnormHMean = Float64Array.from({ length: N }, (_, n) => {
        let s = 0;
        for (let i = n * C; i < (n + 1) * C; i++) s += dnorm[i] * H[i];
        return s / C;
      });
      const dinpBound = (k: number) => {
        const n = Math.floor(k / C);
        const bracket = (d + 11) * (dnorm[k] + dnormMean[n]) + (d + 17) * H[k] * dnormHMean[n];
        return F32_EPS * (rstd[n] * bracket + Math.abs(eDinp[k]));
      };
      const columnSum = (i: number, term: (k: number) => number) => {
        let s = 0;
        for (let n = 0; n < N; n++) s += term(n * C + i);
        return s;
      };
      const dweightBound = (i: number) =>
        F32_EPS *
        ((dc + 4) * columnSum(i, (k) => Math.abs(dout[k]) * H[k]) + Math.abs(eDweight[i]));
      const dbiasBound = (i: number) =>
        F32_EPS * (dc * columnSum(i, (k) => Math.abs(dout[k])) + Math.abs(eDbias[i]));
      return {
        dinp: compare(await bufs.read(dinp, N * C), eDinp, dinpBound),
        dweight: compare(await bufs.read(dweight, C), eDweight, dweightBound),
        dbias: compare(await bufs.read(dbias, C), eDbias, dbiasBound),
      };
    },
  };
}

// Forward then backward on the statistics forward saved, from fresh buffers; every output's bits.
async function forwardBackward(
  ctx: GpuContext,
  bufs: CheckBuffers,
  N: number,
  C: number,
): Promise<Float32Array[]> {
  const rng = new Rng(N + C);
  const { x, w, b } = inputs(rng, N, C);
  const dout = bufs.upload('dout', rng.normalArray(N * C));
  const [xb, wb, bb] = [bufs.upload('inp', x), bufs.upload('w', w), bufs.upload('b', b)];
  const out = bufs.zeros('out', N * C);
  const mean = bufs.zeros('mean', N);
  const rstd = bufs.zeros('rstd', N);
  const dinp = bufs.zeros('dinp', N * C);
  const dweight = bufs.zeros('dweight', C);
  const dbias = bufs.zeros('dbias', C);
  submitOps(ctx, [
    await layernormForward(ctx, out, mean, rstd, xb, wb, bb, N, C),
    await layernormBackward(ctx, dinp, dweight, dbias, dout, xb, wb, mean, rstd, N, C),
  ]);
  return Promise.all([
    bufs.read(out, N * C),
    bufs.read(mean, N),
    bufs.read(rstd, N),
    bufs.read(dinp, N * C),
    bufs.read(dweight, C),
    bufs.read(dbias, C),
  ]);
}

function determinismCheck(N: number, C: number): KernelCheck {
  return {
    kernel: 'layernorm',
    variant: 'forward + backward run twice',
    shape: `N=${N} C=${C}`,
    tolerance: 'bit-identical: the u32 bit patterns of every output are equal (bound 1/2)',
    async run(ctx, bufs) {
      const first = await forwardBackward(ctx, bufs, N, C);
      const second = await forwardBackward(ctx, bufs, N, C);
      const names = ['out', 'mean', 'rstd', 'dinp', 'dweight', 'dbias'];
      const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
      return Object.fromEntries(
        names.map((name, j) => [name, compare(bits(second[j]), bits(first[j]), () => 0.5)]),
      );
    },
  };
}

const SHAPES: [number, number][] = [
  [1, 1],
  [1, 7],
  [7, 33],
  [33, 129],
  [129, 7],
  [65, 768],
  // More rows than one grid dimension holds: grid1d splits them over x and y.
  [70_001, 3],
];

export const layernormChecks: KernelCheck[] = [
  ...SHAPES.map(([N, C]) => forwardCheck(N, C)),
  ...SHAPES.map(([N, C]) => backwardCheck(N, C)),
  determinismCheck(65, 768),
];
