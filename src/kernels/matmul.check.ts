import { submitOps } from '../gpu/ops';
import * as refGelu from '../reference/gelu';
import type { MatmulShape } from '../reference/matmul';
import * as ref from '../reference/matmul';
import * as refResidual from '../reference/residual';
import { type Comparison, compare, F32_EPS } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { Rng } from '../util/rng';
import {
  GELU_BACKWARD_TOLERANCE,
  GELU_FORWARD_TOLERANCE,
  geluBackwardBound,
  geluForwardBound,
} from './gelu.check';
import { biasBackward, type MatmulPath, matmul, matmulVia } from './matmul';

// Each output is a running f32 sum over k (K rounded products and adds, one multiply-add each),
// then at most a bias add, an accumulate add and a residual add: the standard dot-product bound
// gives |err| <= gamma_(K+3) (sum_k |a_mk b_kn| + |bias_n| + |old out_mn| + |res_mn|),
// gamma_n ~ n 2^-24; held to twice that. The same bound with M rows holds bias backward.
const MATMUL_TOLERANCE =
  '|err| <= 2 (K+3) 2^-24 (sum_k |a_mk b_kn| + |bias_n| + |old out_mn| + |res_mn|) (f32 dot-product bound)';
// act = gelu(out) is held to gelu.check's forward bound around the out the kernel stored (out
// has its own check above): the epilogue rounds only GELU's own operations.
const GELU_TOLERANCE = `out: ${MATMUL_TOLERANCE}; act: ${GELU_FORWARD_TOLERANCE} at x = the stored out`;
// out = p gelu'(pre), p the product: p's error (the bound above) times |gelu'(pre)|, plus
// gelu.check's backward bound with dout = p for the derivative and the final multiply.
const GELU_GRAD_TOLERANCE = `${MATMUL_TOLERANCE} times |gelu'(pre)|, plus ${GELU_BACKWARD_TOLERANCE} with dout = the product`;
const BIAS_TOLERANCE = '|err| <= 2 (M+1) 2^-24 (sum_m |dout_mn| + |old dbias_n|) (f32 sum bound)';
const TINY = 1e-38;

const abs = (x: Float32Array) => Float64Array.from(x, Math.abs);

interface MatmulCase extends MatmulShape {
  bias?: boolean;
  /** The residual epilogue: out = product + bias + res. */
  residual?: boolean;
  /** The GELU epilogue: act = gelu(out). */
  gelu?: boolean;
  /** The GELU backward epilogue: out = product * gelu'(pre). */
  geluGrad?: boolean;
  /** Forces one path; by default the one matmul() picks for this adapter. */
  path?: MatmulPath;
}

function describeVariant(c: MatmulCase): string {
  const op = `${c.transA ? 'A^T' : 'A'} ${c.transB ? 'B^T' : 'B'}`;
  const extras = [
    c.bias ? '+ bias' : '',
    c.accumulate ? '+ out' : '',
    c.residual ? '+ residual' : '',
    c.gelu ? 'then gelu' : '',
    c.geluGrad ? "* gelu'(pre)" : '',
    c.batch ? `batch ${c.batch}` : '',
    c.strideA === 0 ? 'A broadcast' : '',
    c.strideB === 0 ? 'B broadcast' : '',
    c.path ? `(${c.path})` : '',
  ];
  return [op, ...extras].filter(Boolean).join(' ');
}

function sizes(c: MatmulCase) {
  const batch = c.batch ?? 1;
  const strideA = c.strideA ?? c.M * c.K;
  const strideB = c.strideB ?? c.K * c.N;
  return {
    a: strideA * (batch - 1) + c.M * c.K,
    b: strideB * (batch - 1) + c.K * c.N,
    out: batch * c.M * c.N,
  };
}

function matmulCheck(c: MatmulCase): KernelCheck {
  const { M, N, K } = c;
  return {
    kernel: 'matmul',
    variant: describeVariant(c),
    shape: `M=${M} N=${N} K=${K}`,
    tolerance: c.gelu ? GELU_TOLERANCE : c.geluGrad ? GELU_GRAD_TOLERANCE : MATMUL_TOLERANCE,
    async run(ctx, bufs) {
      const rng = new Rng(M * 10007 + N * 101 + K);
      const n = sizes(c);
      const a = rng.normalArray(n.a);
      const b = rng.normalArray(n.b);
      const bias = c.bias ? rng.normalArray(N) : null;
      const old = c.accumulate ? rng.normalArray(n.out) : new Float32Array(n.out);
      const res = c.residual ? rng.normalArray(n.out) : null;
      const out = bufs.upload('out', old);
      const act = c.gelu ? bufs.zeros('act', n.out) : undefined;
      // Pre-activations where GELU bends, as the MLP's are.
      const pre = c.geluGrad ? rng.normalArray(n.out, 2) : null;
      const args = [
        out,
        bufs.upload('a', a),
        bufs.upload('b', b),
        bias && bufs.upload('bias', bias),
        c,
        {
          residual: res ? bufs.upload('res', res) : undefined,
          gelu: act,
          geluGradAt: pre ? bufs.upload('pre', pre) : undefined,
        },
      ] as const;
      const op = await (c.path ? matmulVia(ctx, c.path, ...args) : matmul(ctx, ...args));
      submitOps(ctx, [op]);
      const expected = Float64Array.from(old);
      ref.matmul(expected, a, b, bias, c);
      // The same sums over absolute values: sum_k |a b| + |bias| + |old out| + |res|.
      const magnitude = abs(old);
      ref.matmul(magnitude, abs(a), abs(b), bias && abs(bias), c);
      if (res) {
        refResidual.residualAccumulate(expected, res);
        refResidual.residualAccumulate(magnitude, abs(res));
      }
      const bound = (i: number) => 2 * (K + 3) * F32_EPS * magnitude[i] + TINY;
      const stored = await bufs.read(out, n.out);
      if (pre) {
        const grad = new Float64Array(n.out);
        refGelu.geluBackward(grad, pre, new Float64Array(n.out).fill(1), n.out);
        const product = expected.map((p, i) => p * grad[i]);
        const gradBound = (i: number) =>
          bound(i) * Math.abs(grad[i]) + geluBackwardBound(pre[i], expected[i], product[i]);
        return { out: compare(stored, product, gradBound) };
      }
      const results = { out: compare(stored, expected, bound) };
      if (!act) return results;
      const activated = new Float64Array(n.out);
      refGelu.geluForward(activated, stored, n.out);
      const geluBound = (i: number) => geluForwardBound(stored[i], activated[i]);
      return { ...results, act: compare(await bufs.read(act, n.out), activated, geluBound) };
    },
  };
}

function biasBackwardCheck(M: number, N: number): KernelCheck {
  return {
    kernel: 'matmul',
    variant: 'bias backward',
    shape: `M=${M} N=${N}`,
    tolerance: BIAS_TOLERANCE,
    async run(ctx, bufs) {
      const rng = new Rng(M * 1009 + N);
      const dout = rng.normalArray(M * N);
      const old = rng.normalArray(N);
      const dbias = bufs.upload('dbias', old);
      submitOps(ctx, [await biasBackward(ctx, dbias, bufs.upload('dout', dout), M, N)]);
      const expected = Float64Array.from(old);
      ref.biasBackward(expected, dout, M, N);
      const magnitude = abs(old);
      ref.biasBackward(magnitude, abs(dout), M, N);
      const bound = (i: number) => 2 * (M + 1) * F32_EPS * magnitude[i] + TINY;
      return { dbias: compare(await bufs.read(dbias, N), expected, bound) };
    },
  };
}

// Runs the forward variant twice on the same inputs and compares the bits of the two outputs
// (and of the two activations, with the GELU epilogue).
function determinismCheck(
  M: number,
  N: number,
  K: number,
  extra: 'none' | 'residual' | 'gelu' | 'geluGrad' = 'none',
): KernelCheck {
  const shape: MatmulShape = { M, N, K, transB: true };
  return {
    kernel: 'matmul',
    variant: `A B^T + bias${{ none: '', residual: ' + residual', gelu: ' then gelu', geluGrad: " * gelu'(pre)" }[extra]} run twice`,
    shape: `M=${M} N=${N} K=${K}`,
    tolerance: 'bit-identical outputs (fixed summation order)',
    async run(ctx, bufs) {
      const rng = new Rng(M + N + K);
      const a = bufs.upload('a', rng.normalArray(M * K));
      const b = bufs.upload('b', rng.normalArray(N * K));
      const bias = bufs.upload('bias', rng.normalArray(N));
      const res = extra === 'residual' ? bufs.upload('res', rng.normalArray(M * N)) : undefined;
      const pre = extra === 'geluGrad' ? bufs.upload('pre', rng.normalArray(M * N)) : undefined;
      const bits = async (buffer: GPUBuffer) =>
        new Uint32Array((await bufs.read(buffer, M * N)).buffer);
      const runs: Uint32Array[][] = [];
      for (const label of ['1', '2']) {
        const out = bufs.zeros(`out${label}`, M * N);
        const act = extra === 'gelu' ? bufs.zeros(`act${label}`, M * N) : undefined;
        const epilogue = { residual: res, gelu: act, geluGradAt: pre };
        submitOps(ctx, [await matmul(ctx, out, a, b, bias, shape, epilogue)]);
        runs.push([await bits(out), ...(act ? [await bits(act)] : [])]);
      }
      // Any differing bit pattern differs by at least 1 as an integer: a bound of 1/2 fails it.
      const same = (k: number): Comparison => compare(runs[1][k], runs[0][k], () => 0.5);
      const results: Record<string, Comparison> = { out: same(0) };
      if (extra === 'gelu') results.act = same(1);
      return results;
    },
  };
}

const AWKWARD: readonly [number, number, number][] = [
  [1, 1, 1],
  [7, 33, 129],
  [129, 7, 33],
  [33, 129, 7],
  [1, 129, 33],
];

const TRANSPOSES = [
  { transA: false, transB: false },
  { transA: false, transB: true },
  { transA: true, transB: false },
  { transA: true, transB: true },
];

export const matmulChecks: KernelCheck[] = [
  ...TRANSPOSES.flatMap((t) =>
    AWKWARD.map(([M, N, K], i) => matmulCheck({ M, N, K, ...t, bias: i % 2 === 1 })),
  ),
  // The GPT engine's uses: forward (A B^T + bias), dinp (A B, accumulate), dW (A^T B, accumulate).
  matmulCheck({ M: 257, N: 130, K: 200, transB: true, bias: true }),
  matmulCheck({ M: 33, N: 129, K: 7, accumulate: true }),
  matmulCheck({ M: 129, N: 33, K: 7, transA: true, accumulate: true }),
  matmulCheck({ M: 7, N: 33, K: 129, transA: true, transB: true, bias: true, accumulate: true }),
  matmulCheck({ M: 1, N: 1, K: 1, transA: true, transB: true, bias: true, accumulate: true }),
  // Batched (attention's products): contiguous items, and one operand shared by every item.
  matmulCheck({ M: 33, N: 7, K: 129, batch: 3 }),
  matmulCheck({ M: 7, N: 33, K: 129, batch: 3, transB: true, strideB: 0, bias: true }),
  matmulCheck({ M: 33, N: 7, K: 1, batch: 3, transA: true, strideA: 0, accumulate: true }),
  // Both paths on every adapter, whichever matmul() picks here.
  ...(['staged', 'direct'] as const).flatMap((path) => [
    matmulCheck({ M: 33, N: 7, K: 129, transA: true, transB: true, bias: true, path }),
    matmulCheck({ M: 129, N: 130, K: 33, transA: true, accumulate: true, path }),
    matmulCheck({ M: 7, N: 129, K: 33, batch: 3, transB: true, strideB: 0, bias: true, path }),
  ]),
  // The epilogues, as the projections (residual) and the fc layer (GELU) use them, and at
  // awkward sizes on both paths.
  matmulCheck({ M: 257, N: 130, K: 200, transB: true, bias: true, residual: true }),
  matmulCheck({ M: 257, N: 130, K: 200, transB: true, bias: true, gelu: true }),
  ...(['staged', 'direct'] as const).flatMap((path) => [
    matmulCheck({ M: 1, N: 1, K: 1, transB: true, bias: true, residual: true, path }),
    matmulCheck({ M: 7, N: 129, K: 33, batch: 3, transB: true, residual: true, path }),
    matmulCheck({ M: 1, N: 1, K: 1, transB: true, bias: true, gelu: true, path }),
    matmulCheck({ M: 33, N: 129, K: 7, batch: 3, transB: true, bias: true, gelu: true, path }),
    matmulCheck({ M: 1, N: 1, K: 1, geluGrad: true, path }),
    matmulCheck({ M: 129, N: 33, K: 7, geluGrad: true, path }),
  ]),
  matmulCheck({ M: 257, N: 200, K: 130, geluGrad: true }),
  biasBackwardCheck(1, 7),
  biasBackwardCheck(33, 129),
  biasBackwardCheck(300, 65),
  determinismCheck(129, 130, 200),
  determinismCheck(129, 130, 200, 'residual'),
  determinismCheck(129, 130, 200, 'gelu'),
  determinismCheck(129, 130, 200, 'geluGrad'),
];
