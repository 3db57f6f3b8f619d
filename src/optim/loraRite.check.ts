import type { GpuContext } from '../gpu/device';
import { submitOps } from '../gpu/ops';
import type { CheckBuffers } from '../selftest/checkBuffers';
import { type Comparison, compare, F32_EPS } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { Rng } from '../util/rng';
import { eigh, fromArray, type Mat, matmul, matmulNT, matmulTN, qr, zeros } from './linalg';
import { createLoraRiteGpuState, type LoraRiteGpuHp, loraRite } from './loraRite';
import { adamDefaults, adamStep, createAdamState } from './reference/adam';
import {
  createLoraRiteState,
  type LoraRiteHp,
  type LoraRiteState,
  loraRiteDefaults,
  loraRiteStep,
} from './reference/loraRite';
import { type RegressionBatch, regressionBatches, regressionGrad } from './reference/regression';

// The GPU and the float64 reference take the same f32 gradients every step (computed from the
// reference's factors), so only the optimizer's own rounding separates them. Normwise, first
// order in u = 2^-24, for a factor X with partner P (rows and prows rows):
//   - the split of P (one-sided Jacobi, backward stable): R^+ off by c cond(R_P) prows u relative;
//   - g = dX R^+ and V: dot products of length r and rows, plus the R^+ error: (rows + r) u +
//     cond(R_P) prows u; Jacobi rotations add about r u per sweep;
//   - Pre = (V + rho I)^(-1/2): an eigenvalue w moved by u |V| changes 1 / sqrt(w) by
//     u |V| / (2 w) relative, i.e. cond(V + rho I) / 2 times V's error;
//   - S = g Pre, M (a convex mix of past S, so no growth), the step M (R^+)^T: cond(R_P) again.
// All together the step is off by at most u C kappa |step|, C = 2 (m + n + r SWEEPS),
// kappa = cond(R_P) (1 + cond(V + rho I)), both maxima over the steps so far (cond(R) over the singular
// values above the kernel's rank cutoff; cond(V + rho I) with eigenvalues floored at eps^2). Steps add,
// so X(t) is held to u (|X(t)|_F + C kappa L(t)), L(t) = sum_s |X(s) - X(s-1)|_F, the path length;
// the same bound is applied to every element (max error <= Frobenius error).
const SWEEPS = 12;
const TOLERANCE =
  '|X_gpu(t) - X_ref(t)|_F <= u (|X(t)|_F + C kappa L(t)) for X = A, B, every step; u = 2^-24, ' +
  'C = 2 (m + n + 12 r), kappa = max_s cond(R_partner) (1 + cond(V + rho I)), ' +
  'L(t) = sum_s |X(s) - X(s-1)|_F (derivation in loraRite.check.ts)';

const lr = 1e-2;
const steps = 20;

function frob(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

function toF32(x: Mat): Float32Array<ArrayBuffer> {
  return new Float32Array(x.data);
}

// cond of x (rows, r) over singular values above the split's cutoff rows 2^-23 sigma_max (1 when
// none is: a zero factor's partner does not move)
function condFactor(x: Mat): number {
  const s = eigh(matmulTN(x, x)).values.map((w) => Math.sqrt(Math.max(w, 0)));
  const kept = s.filter((v) => v > x.rows * 2 ** -23 * s[0] && v > 0);
  return kept.length === 0 ? 1 : kept[0] / kept[kept.length - 1];
}

// cond of V + rho I (r, r) with eigenvalues floored at eps^2: 1 / (sqrt(w) + eps) moves by at
// most dw / (2 max(w, eps^2)) relative (and not at all below the clamp at 0). V = 0 (the zero
// factor's partner at the first step, where g = 0) counts 1.
function condMoment(v: Mat, rho: number, eps: number): number {
  const w = eigh(v).values.map((x) => x + rho);
  if (w[0] <= 0) return 1;
  return w[0] / Math.max(w[w.length - 1], eps * eps);
}

function worst(a: Comparison | undefined, b: Comparison): Comparison {
  return a && a.worstRatio >= b.worstRatio ? a : b;
}

export interface Case {
  variant: string;
  m: number;
  n: number;
  r: number;
  batchSize: number;
  zeroA: boolean;
  hp: Omit<LoraRiteHp, 'lr' | 'clip'>;
}

// One GPU run of RITE on a pair from (a0, b0): step(t, da, db) returns the factors after step t.
interface GpuRun {
  step(t: number, da: Float32Array<ArrayBuffer>, db: Float32Array<ArrayBuffer>): Promise<Mat[]>;
  destroy(): void;
}

async function gpuRun(
  ctx: GpuContext,
  bufs: CheckBuffers,
  a0: Mat,
  b0: Mat,
  hp: LoraRiteGpuHp,
): Promise<GpuRun> {
  const [m, n, r] = [a0.rows, b0.rows, a0.cols];
  const a = bufs.upload('a', toF32(a0));
  const b = bufs.upload('b', toF32(b0));
  const da = bufs.zeros('da', m * r);
  const db = bufs.zeros('db', n * r);
  const state = createLoraRiteGpuState(ctx, m, n, r);
  const op = await loraRite(ctx, a, b, state, da, db, m, n, r, hp);
  return {
    async step(t, daValues, dbValues) {
      ctx.device.queue.writeBuffer(da, 0, daValues);
      ctx.device.queue.writeBuffer(db, 0, dbValues);
      op.setStep(t);
      submitOps(ctx, [op]);
      return [
        fromArray(m, r, await bufs.read(a, m * r)),
        fromArray(n, r, await bufs.read(b, n * r)),
      ];
    },
    destroy() {
      op.destroy();
      for (const side of [state.a, state.b])
        for (const buf of [side.m, side.v, side.basis]) buf.destroy();
    },
  };
}

interface Problem {
  a0: Mat;
  b0: Mat;
  batches: RegressionBatch[];
}

function problem(c: Case): Problem {
  const { m, n, r } = c;
  const rng = new Rng(m * 100 + r + c.batchSize);
  const zTrue = zeros(m, n);
  for (let i = 0; i < zTrue.data.length; i++) zTrue.data[i] = 0.1 * rng.normal();
  const batches = regressionBatches(() => rng.normal(), zTrue, c.batchSize, steps, 0.05);
  const a0 = fromArray(m, r, c.zeroA ? new Float32Array(m * r) : rng.normalArray(m * r, 0.2));
  const b0 = fromArray(n, r, rng.normalArray(n * r, 0.2));
  return { a0, b0, batches };
}

function stepsCheck(c: Case): KernelCheck {
  const { m, n, r } = c;
  return {
    kernel: 'lora_rite',
    variant: c.variant,
    shape: `m=${m} n=${n} r=${r} batch=${c.batchSize}, ${steps} steps`,
    tolerance: TOLERANCE,
    async run(ctx, bufs) {
      const { a0, b0, batches } = problem(c);
      const pair = { a: a0, b: b0 };
      const refState: LoraRiteState = createLoraRiteState([pair]);
      const hp: LoraRiteHp = { ...c.hp, lr, clip: false };
      const run = await gpuRun(ctx, bufs, a0, b0, { ...c.hp, lr });
      const path = { a: 0, b: 0 };
      let kappa = { a: 1, b: 1 };
      const cBound = 2 * (m + n + SWEEPS * r);
      let outA: Comparison | undefined;
      let outB: Comparison | undefined;
      let outZ: Comparison | undefined;
      try {
        for (let t = 0; t < steps; t++) {
          const grad = regressionGrad(pair, batches[t]);
          const da32 = toF32(grad.da);
          const db32 = toF32(grad.db);
          const [gotA, gotB] = await run.step(t, da32, db32);
          const before = { a: pair.a.data.slice(), b: pair.b.data.slice() };
          const condB = condFactor(pair.b);
          const condA = condFactor(pair.a);
          loraRiteStep(
            [pair],
            [{ da: fromArray(m, r, da32), db: fromArray(n, r, db32) }],
            refState,
            hp,
          );
          const sides = refState.pairs[0];
          kappa = {
            a: Math.max(kappa.a, condB * (1 + condMoment(sides.a.v, sides.a.rho, hp.eps))),
            b: Math.max(kappa.b, condA * (1 + condMoment(sides.b.v, sides.b.rho, hp.eps))),
          };
          path.a += frob(pair.a.data.map((x, i) => x - before.a[i]));
          path.b += frob(pair.b.data.map((x, i) => x - before.b[i]));
          const boundA = F32_EPS * (frob(pair.a.data) + cBound * kappa.a * path.a) + 1e-38;
          const boundB = F32_EPS * (frob(pair.b.data) + cBound * kappa.b * path.b) + 1e-38;
          outA = worst(
            outA,
            compare(gotA.data, pair.a.data, () => boundA),
          );
          outB = worst(
            outB,
            compare(gotB.data, pair.b.data, () => boundB),
          );
          // Z = A B^T, first order: |dZ| <= |dA| |B| + |A| |dB|
          const z = matmulNT(pair.a, pair.b);
          const boundZ =
            boundA * frob(pair.b.data) + frob(pair.a.data) * boundB + r * F32_EPS * frob(z.data);
          outZ = worst(
            outZ,
            compare(matmulNT(gotA, gotB).data, z.data, () => boundZ + 1e-38),
          );
        }
      } finally {
        run.destroy();
      }
      if (!outA || !outB || !outZ) throw new Error('lora_rite: no steps run');
      return { A: outA, B: outB, Z: outZ };
    },
  };
}

// Two GPU runs on the same batches, each taking gradients of its own Z: every output bit equal.
function determinismCheck(c: Case): KernelCheck {
  const { m, n, r } = c;
  return {
    kernel: 'lora_rite',
    variant: 'run twice: bit-identical',
    shape: `m=${m} n=${n} r=${r}, ${steps} steps`,
    tolerance: 'bitwise equal (fixed loop orders and reduction trees, no atomics)',
    async run(ctx, bufs) {
      const { a0, b0, batches } = problem(c);
      const trajectory = async () => {
        const run = await gpuRun(ctx, bufs, a0, b0, { ...c.hp, lr });
        let pair = { a: a0, b: b0 };
        const bits: number[] = [];
        try {
          for (let t = 0; t < steps; t++) {
            const grad = regressionGrad(pair, batches[t]);
            const [a, b] = await run.step(t, toF32(grad.da), toF32(grad.db));
            pair = { a, b };
            bits.push(...new Uint32Array(toF32(a).buffer), ...new Uint32Array(toF32(b).buffer));
          }
        } finally {
          run.destroy();
        }
        return bits;
      };
      const one = await trajectory();
      const two = await trajectory();
      // bit patterns compared as integers: any difference is at least 1 > 0.5
      return { bits: compare(two, one, () => 0.5) };
    },
  };
}

// The rank-deficient second moment of batches of one sample: V has rank t + 1 < r for the first
// steps, and rounding-level negative eigenvalues that would give sqrt(-x) = NaN without the clamp.
function rankDeficientCheck(c: Case): KernelCheck {
  const { m, n, r } = c;
  return {
    kernel: 'lora_rite',
    variant: 'rank-deficient V (batches of 1): finite',
    shape: `m=${m} n=${n} r=${r}, 6 steps`,
    tolerance:
      'every element of A and B finite (the f32 values in V null space are rounding noise)',
    async run(ctx, bufs) {
      const { a0, b0, batches } = problem(c);
      const run = await gpuRun(ctx, bufs, a0, b0, { ...c.hp, lr });
      let pair = { a: a0, b: b0 };
      try {
        for (let t = 0; t < 6; t++) {
          const grad = regressionGrad(pair, batches[t]);
          const [a, b] = await run.step(t, toF32(grad.da), toF32(grad.db));
          pair = { a, b };
        }
      } finally {
        run.destroy();
      }
      const values = [...pair.a.data, ...pair.b.data];
      // a non-finite element counts 1 against a bound of 0.5
      return {
        finite: compare(
          values.map((x) => (Number.isFinite(x) ? 0 : 1)),
          values.map(() => 0),
          () => 0.5,
        ),
      };
    },
  };
}

// S = U diag(sigma) V^T (r, r) with random orthogonal U, V, so S^-T = U diag(1 / sigma) V^T exactly
function reparam(r: number): { s: Mat; sInvT: Mat; cond: number } {
  const rng = new Rng(7);
  const orthogonal = () => qr(fromArray(r, r, rng.normalArray(r * r))).q;
  const [u, v] = [orthogonal(), orthogonal()];
  const sigma = Array.from({ length: r }, (_, i) => 3 * 0.1 ** (i / Math.max(1, r - 1)));
  const scaled = (f: (x: number) => number) => {
    const d = zeros(r, r);
    sigma.forEach((x, i) => {
      d.data[i * r + i] = f(x);
    });
    return matmulNT(matmul(u, d), v);
  };
  return { s: scaled((x) => x), sInvT: scaled((x) => 1 / x), cond: sigma[0] / sigma[r - 1] };
}

function relative(a: Mat, b: Mat): number {
  return frob(a.data.map((x, i) => x - b.data[i])) / frob(b.data);
}

// The spec's float32 invariance bound, as in reference/loraRite.test.ts: 1e-5 cond(S) relative
// = 170 u cond(S), from chains of QR-like splits, r x r products and eigen-solves over 20 steps,
// amplified by cond(S) through the split of B S^-T and the re-magnification by R^+.
export const F32_INVARIANCE = 1e-5;

// Runs from (A, B) and (A S, B S^-T), each taking the regression gradient of its own Z; the
// largest relative difference over the steps of Z(2) from Z(1), A(2) from A(1) S, B(2) from
// B(1) S^-T. start(pair) prepares a run and returns its step.
export async function invarianceErrors(
  c: Case,
  start: (pair: { a: Mat; b: Mat }) => Promise<(t: number, da: Mat, db: Mat) => Promise<Mat[]>>,
): Promise<{ z: number; a: number; b: number; cond: number }> {
  const { a0, b0, batches } = problem(c);
  const { s, sInvT, cond } = reparam(c.r);
  const f32 = (x: Mat) => fromArray(x.rows, x.cols, toF32(x));
  let one = { a: a0, b: b0 };
  let two = { a: f32(matmul(a0, s)), b: f32(matmul(b0, sInvT)) };
  const stepOne = await start(one);
  const stepTwo = await start(two);
  const errors = { z: 0, a: 0, b: 0, cond };
  for (let t = 0; t < steps; t++) {
    const g1 = regressionGrad(one, batches[t]);
    const g2 = regressionGrad(two, batches[t]);
    const [a1, b1] = await stepOne(t, f32(g1.da), f32(g1.db));
    const [a2, b2] = await stepTwo(t, f32(g2.da), f32(g2.db));
    one = { a: a1, b: b1 };
    two = { a: a2, b: b2 };
    errors.z = Math.max(errors.z, relative(matmulNT(a2, b2), matmulNT(a1, b1)));
    errors.a = Math.max(errors.a, relative(a2, matmul(a1, s)));
    errors.b = Math.max(errors.b, relative(b2, matmul(b1, sInvT)));
  }
  return errors;
}

// The negative control: reference Adam from the same two starts.
export function adamInvarianceErrors(c: Case) {
  return invarianceErrors(c, async (pair) => {
    const state = createAdamState([pair]);
    return async (_t, da, db) => {
      adamStep([pair], [{ da, db }], state, { ...adamDefaults, lr });
      return [pair.a, pair.b];
    };
  });
}

export const invarianceCase: Case = {
  variant: 'invariance',
  m: 13,
  n: 9,
  r: 4,
  batchSize: 24,
  zeroA: false,
  hp: { ...loraRiteDefaults, weightDecay: 0.1 },
};

// RITE on the GPU from (A, B) and from (A S, B S^-T) for a general S: Z, A S and B S^-T agree.
function invarianceCheck(c: Case): KernelCheck {
  const { m, n, r } = c;
  return {
    kernel: 'lora_rite',
    variant: 'invariance: (A S, B S^-T) gives the same Z, general S (cond 10)',
    shape: `m=${m} n=${n} r=${r}, ${steps} steps`,
    tolerance: `relative Frobenius error <= ${F32_INVARIANCE} cond(S) (the spec's f32 bound)`,
    async run(ctx, bufs) {
      const runs: GpuRun[] = [];
      try {
        const e = await invarianceErrors(c, async ({ a, b }) => {
          const run = await gpuRun(ctx, bufs, a, b, { ...c.hp, lr });
          runs.push(run);
          return (t, da, db) => run.step(t, toF32(da), toF32(db));
        });
        const bound = F32_INVARIANCE * e.cond;
        // one relative error per output, against its bound
        const out = (x: number) => compare([x], [0], () => bound);
        return { Z: out(e.z), 'A S': out(e.a), 'B S^-T': out(e.b) };
      } finally {
        for (const run of runs) run.destroy();
      }
    },
  };
}

const base = { ...loraRiteDefaults, weightDecay: 0 };

export const loraRiteChecks: KernelCheck[] = [
  stepsCheck({
    variant: 'escaped mass, weight decay',
    m: 13,
    n: 9,
    r: 4,
    batchSize: 24,
    zeroA: false,
    hp: { ...base, weightDecay: 0.1 },
  }),
  stepsCheck({
    variant: 'no escaped mass, r = 1',
    m: 13,
    n: 9,
    r: 1,
    batchSize: 24,
    zeroA: false,
    hp: { ...base, escapedMass: false },
  }),
  stepsCheck({
    variant: 'from A = 0',
    m: 13,
    n: 9,
    r: 4,
    batchSize: 24,
    zeroA: true,
    hp: base,
  }),
  stepsCheck({
    variant: 'escaped mass, r = 8',
    m: 13,
    n: 9,
    r: 8,
    batchSize: 24,
    zeroA: false,
    hp: base,
  }),
  rankDeficientCheck({
    variant: '',
    m: 13,
    n: 9,
    r: 8,
    batchSize: 1,
    zeroA: false,
    hp: { ...base, escapedMass: false },
  }),
  invarianceCheck(invarianceCase),
  determinismCheck({ variant: '', m: 13, n: 9, r: 4, batchSize: 24, zeroA: false, hp: base }),
];
