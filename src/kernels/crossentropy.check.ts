import { submitOps } from '../gpu/ops';
import * as ref from '../reference/crossentropy';
import { type Comparison, compare, F32_EPS } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { Rng } from '../util/rng';
import {
  crossentropyForward,
  crossentropyForwardBackward,
  crossentropyWorkgroupSize,
  IGNORE_INDEX,
  sequenceLoss,
} from './crossentropy';

// Each invocation's stride loop is K terms deep, then D tree levels.
function depths(cols: number): { K: number; D: number } {
  const wg = crossentropyWorkgroupSize(cols);
  return { K: Math.ceil(cols / wg), D: Math.log2(wg) };
}

// Per row, in units of 2^-24: x - m rounded then exp within 3 + 2|x - m| ulp (WGSL's bound):
// 6 + 5R relative; the sum of positive terms is K + D additions deep; log within 2^-21 absolute
// or 3 ulp: 8 + 6 ln S; then x_t - m and the final subtraction rounded.
const LOSS_TOLERANCE =
  '|err| <= 2^-24 (14 + 5R + K + D + 6 ln S + |x_t - m| + loss), R = max|x - m| of the row, ' +
  'K = ceil(V/WG) stride terms, D = log2 WG tree levels: exp within 3 + 2|x| ulp, log 3 ulp; ' +
  'ignored rows exactly 0';
// p = exp(x - m) * (1/S): the relative errors of exp (6 + 5|x - m|), of S (as above), of the
// reciprocal (2.5 ulp) and the product, then p - onehot and the scale each rounded once.
const DLOGITS_TOLERANCE =
  '|err| <= |scale| 2^-24 (p (18 + 5|x - m| + 5R + K + D) + 2 |p - onehot|); ignored rows exactly 0';

// 3x1000 leaves rows unignored on either side of an ignored one; 33x129 sits 100 above zero,
// where exp without the max shift overflows f32.
interface Case {
  N: number;
  V: number;
  std: number;
  offset: number;
  ignored: number[];
}
const CASES: Case[] = [
  { N: 1, V: 1, std: 1, offset: 0, ignored: [] },
  { N: 1, V: 7, std: 1, offset: 0, ignored: [] },
  { N: 7, V: 33, std: 2, offset: 0, ignored: [] },
  { N: 33, V: 129, std: 3, offset: 100, ignored: [] },
  { N: 5, V: 50257, std: 1, offset: 0, ignored: [] },
  { N: 3, V: 1000, std: 2, offset: 0, ignored: [1] },
];

const shapeOf = (c: Case) =>
  `N=${c.N} V=${c.V}${c.ignored.length ? ` (${c.ignored.length} ignored)` : ''}`;

function inputs(c: Case): { logits: Float32Array; targets: Uint32Array } {
  const rng = new Rng(c.N * 100_003 + c.V);
  const logits = rng.normalArray(c.N * c.V, c.std).map((x) => x + c.offset);
  // Row 0 aims at the last class so the end of the stride loop is exercised.
  const targets = Uint32Array.from({ length: c.N }, (_, i) =>
    c.ignored.includes(i) ? IGNORE_INDEX : i === 0 ? c.V - 1 : rng.int(c.V),
  );
  return { logits, targets };
}

interface RowBounds {
  R: number;
  dt: number;
}

function rowBounds(logits: Float32Array, targets: Uint32Array, N: number, V: number): RowBounds[] {
  return Array.from({ length: N }, (_, i) => {
    const row = logits.subarray(i * V, (i + 1) * V);
    let max = -Infinity;
    let min = Infinity;
    for (const x of row) {
      max = Math.max(max, x);
      min = Math.min(min, x);
    }
    const t = targets[i];
    return { R: max - min, dt: t === IGNORE_INDEX ? 0 : row[t] - max };
  });
}

function lossComparison(
  actual: Float32Array,
  expected: Float64Array,
  targets: Uint32Array,
  rows: RowBounds[],
  V: number,
): Comparison {
  const { K, D } = depths(V);
  return compare(actual, expected, (i) => {
    if (targets[i] === IGNORE_INDEX) return 1e-38;
    const { R, dt } = rows[i];
    const lnS = expected[i] + dt;
    return F32_EPS * (14 + 5 * R + K + D + 6 * lnS + Math.abs(dt) + expected[i]);
  });
}

function forwardCheck(c: Case): KernelCheck {
  return {
    kernel: 'crossentropy',
    variant: 'forward',
    shape: shapeOf(c),
    tolerance: LOSS_TOLERANCE,
    async run(ctx, bufs) {
      const { N, V } = c;
      const { logits, targets } = inputs(c);
      const losses = bufs.zeros('losses', N);
      const logitsBuf = bufs.upload('logits', logits);
      submitOps(ctx, [
        await crossentropyForward(ctx, losses, logitsBuf, bufs.upload('targets', targets), N, V),
      ]);
      const expected = new Float64Array(N);
      ref.crossentropyForward(expected, logits, targets, N, V);
      const rows = rowBounds(logits, targets, N, V);
      return {
        losses: lossComparison(await bufs.read(losses, N), expected, targets, rows, V),
        // the forward binds the logits writable: it must leave them as they were
        logits: compare(await bufs.read(logitsBuf, N * V), logits, () => 1e-38),
      };
    },
  };
}

function forwardBackwardCheck(c: Case): KernelCheck {
  return {
    kernel: 'crossentropy',
    variant: 'forward + backward (dlogits in place)',
    shape: shapeOf(c),
    tolerance: `losses: ${LOSS_TOLERANCE}; dlogits: ${DLOGITS_TOLERANCE}`,
    async run(ctx, bufs) {
      const { N, V } = c;
      const { logits, targets } = inputs(c);
      const scale = Math.fround(1 / (4 * N));
      const losses = bufs.zeros('losses', N);
      const dlogits = bufs.upload('logits', logits);
      const targetsBuf = bufs.upload('targets', targets);
      submitOps(ctx, [
        await crossentropyForwardBackward(ctx, losses, dlogits, targetsBuf, N, V, scale),
      ]);
      const expectedLosses = new Float64Array(N);
      const expectedDlogits = Float64Array.from(logits);
      ref.crossentropyForwardBackward(expectedLosses, expectedDlogits, targets, N, V, scale);
      const rows = rowBounds(logits, targets, N, V);
      const { K, D } = depths(V);
      const dlogitsBound = (k: number) => {
        const i = Math.floor(k / V);
        const t = targets[i];
        if (t === IGNORE_INDEX) return 1e-38;
        const { R } = rows[i];
        const onehot = k % V === t ? 1 : 0;
        const p = expectedDlogits[k] / scale + onehot;
        const dv = Math.abs(logits[k] - (logits[i * V + t] - rows[i].dt));
        return (
          F32_EPS * scale * (p * (18 + 5 * dv + 5 * R + K + D) + 2 * Math.abs(p - onehot)) + 1e-38
        );
      };
      return {
        losses: lossComparison(await bufs.read(losses, N), expectedLosses, targets, rows, V),
        dlogits: compare(await bufs.read(dlogits, N * V), expectedDlogits, dlogitsBound),
      };
    },
  };
}

// Bit patterns compared as integers: any difference is at least 1, over the bound of 0.5.
const sameBits = (a: Float32Array, b: Float32Array) =>
  compare(new Uint32Array(a.buffer), new Uint32Array(b.buffer), () => 0.5);

function determinismCheck(c: Case): KernelCheck {
  return {
    kernel: 'crossentropy',
    variant: 'forward + backward twice: bit-identical',
    shape: shapeOf(c),
    tolerance: 'bitwise equal (fixed stride loops and reduction trees)',
    async run(ctx, bufs) {
      const { N, V } = c;
      const { logits, targets } = inputs(c);
      const targetsBuf = bufs.upload('targets', targets);
      const runs = [];
      for (const k of [0, 1]) {
        const losses = bufs.zeros(`losses${k}`, N);
        const dlogits = bufs.upload(`logits${k}`, logits);
        submitOps(ctx, [
          await crossentropyForwardBackward(ctx, losses, dlogits, targetsBuf, N, V, 1 / N),
        ]);
        runs.push({ losses: await bufs.read(losses, N), dlogits: await bufs.read(dlogits, N * V) });
      }
      return {
        losses: sameBits(runs[0].losses, runs[1].losses),
        dlogits: sameBits(runs[0].dlogits, runs[1].dlogits),
      };
    },
  };
}

// Sequence sums are K + D additions deep, the batch sum B more; the division 2.5 ulp.
const SEQUENCE_TOLERANCE =
  'seqLoss: |err| <= 2^-24 (K + D + 5) seqLoss; meanLoss: |err| <= 2^-24 (K + D + B + 5) meanLoss; ' +
  'K = ceil(T/WG), D = log2 WG (sums of non-negative terms, division 2.5 ulp); nothing counted: exactly 0';

function sequenceLossCheck(B: number, T: number, withIgnored: boolean): KernelCheck {
  return {
    kernel: 'crossentropy',
    variant: 'sequence loss',
    shape: `B=${B} T=${T}${withIgnored ? ' (with ignored tokens, one sequence all ignored)' : ''}`,
    tolerance: SEQUENCE_TOLERANCE,
    async run(ctx, bufs) {
      const rng = new Rng(B * 1000 + T);
      const losses = rng.uniformArray(B * T, 0, 10);
      const targets = new Uint32Array(B * T);
      for (let i = 0; i < B * T; i++) {
        const ignored = withIgnored && (i < T || rng.uniform() < 0.3);
        targets[i] = ignored ? IGNORE_INDEX : rng.int(50257);
        // a loss the kernel would count by mistake stands out
        if (ignored) losses[i] = 1000;
      }
      const seqLoss = bufs.zeros('seqLoss', B);
      const meanLoss = bufs.zeros('meanLoss', 1);
      submitOps(ctx, [
        await sequenceLoss(
          ctx,
          seqLoss,
          meanLoss,
          bufs.upload('losses', losses),
          bufs.upload('targets', targets),
          B,
          T,
        ),
      ]);
      const expectedSeq = new Float64Array(B);
      const expectedMean = new Float64Array(1);
      ref.sequenceLoss(expectedSeq, expectedMean, losses, targets, B, T);
      const { K, D } = depths(T);
      return {
        seqLoss: compare(
          await bufs.read(seqLoss, B),
          expectedSeq,
          (b) => F32_EPS * (K + D + 5) * expectedSeq[b] + 1e-38,
        ),
        meanLoss: compare(
          await bufs.read(meanLoss, 1),
          expectedMean,
          () => F32_EPS * (K + D + B + 5) * expectedMean[0] + 1e-38,
        ),
      };
    },
  };
}

export const crossentropyChecks: KernelCheck[] = [
  ...CASES.map(forwardCheck),
  ...CASES.map(forwardBackwardCheck),
  determinismCheck(CASES[5]),
  sequenceLossCheck(1, 1, false),
  sequenceLossCheck(3, 7, false),
  sequenceLossCheck(4, 33, true),
];
