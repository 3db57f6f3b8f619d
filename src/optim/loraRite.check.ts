import { submitOps } from '../gpu/ops';
import { type Comparison, compare, F32_EPS } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { Rng } from '../util/rng';
import { eigh, fromArray, type Mat, matmulNT, matmulTN, zeros } from './linalg';
import { createLoraRiteGpuState, type LoraRiteGpuHp, loraRite } from './loraRite';
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
// kappa = cond(R_P) (1 + cond(V + rho I)), both maxima over the steps so far (condition numbers
// over the singular values above the kernel's rank cutoff, eigenvalues above r u |V|). Steps add,
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

// cond of V + rho I (r, r) over eigenvalues above r u |V|: below that they are rounding noise in
// directions g has no component in (V >= (1 - b2) g^T g / rows)
function condMoment(v: Mat, rho: number): number {
  const w = eigh(v).values.map((x) => x + rho);
  const kept = w.filter((x) => x > v.rows * F32_EPS * w[0] && x > 0);
  return kept.length === 0 ? 1 : kept[0] / kept[kept.length - 1];
}

function worst(a: Comparison | undefined, b: Comparison): Comparison {
  return a && a.worstRatio >= b.worstRatio ? a : b;
}

interface Case {
  variant: string;
  m: number;
  n: number;
  r: number;
  batchSize: number;
  zeroA: boolean;
  hp: Omit<LoraRiteHp, 'lr' | 'clip'>;
}

function stepsCheck(c: Case): KernelCheck {
  const { m, n, r } = c;
  return {
    kernel: 'lora_rite',
    variant: c.variant,
    shape: `m=${m} n=${n} r=${r}, ${steps} steps`,
    tolerance: TOLERANCE,
    async run(ctx, bufs) {
      const rng = new Rng(m * 100 + r);
      const zTrue = zeros(m, n);
      for (let i = 0; i < zTrue.data.length; i++) zTrue.data[i] = 0.1 * rng.normal();
      const batches: RegressionBatch[] = regressionBatches(
        () => rng.normal(),
        zTrue,
        c.batchSize,
        steps,
        0.05,
      );
      const a0 = fromArray(m, r, c.zeroA ? new Float32Array(m * r) : rng.normalArray(m * r, 0.2));
      const b0 = fromArray(n, r, rng.normalArray(n * r, 0.2));
      const pair = { a: a0, b: b0 };
      const refState: LoraRiteState = createLoraRiteState([pair]);
      const hp: LoraRiteHp = { ...c.hp, lr, clip: false };
      const gpuHp: LoraRiteGpuHp = { ...c.hp, lr };

      const a = bufs.upload('a', toF32(a0));
      const b = bufs.upload('b', toF32(b0));
      const da = bufs.zeros('da', m * r);
      const db = bufs.zeros('db', n * r);
      const state = createLoraRiteGpuState(ctx, m, n, r);
      const op = await loraRite(ctx, a, b, state, da, db, m, n, r, gpuHp);

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
          ctx.device.queue.writeBuffer(da, 0, da32);
          ctx.device.queue.writeBuffer(db, 0, db32);
          op.setStep(t);
          submitOps(ctx, [op]);

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
            a: Math.max(kappa.a, condB * (1 + condMoment(sides.a.v, sides.a.rho))),
            b: Math.max(kappa.b, condA * (1 + condMoment(sides.b.v, sides.b.rho))),
          };
          path.a += frob(pair.a.data.map((x, i) => x - before.a[i]));
          path.b += frob(pair.b.data.map((x, i) => x - before.b[i]));
          const boundA = F32_EPS * (frob(pair.a.data) + cBound * kappa.a * path.a) + 1e-38;
          const boundB = F32_EPS * (frob(pair.b.data) + cBound * kappa.b * path.b) + 1e-38;
          const gotA = await bufs.read(a, m * r);
          const gotB = await bufs.read(b, n * r);
          outA = worst(
            outA,
            compare(gotA, pair.a.data, () => boundA),
          );
          outB = worst(
            outB,
            compare(gotB, pair.b.data, () => boundB),
          );
          // Z = A B^T, first order: |dZ| <= |dA| |B| + |A| |dB|
          const z = matmulNT(pair.a, pair.b);
          const zGot = matmulNT(fromArray(m, r, gotA), fromArray(n, r, gotB));
          const boundZ =
            boundA * frob(pair.b.data) + frob(pair.a.data) * boundB + r * F32_EPS * frob(z.data);
          outZ = worst(
            outZ,
            compare(zGot.data, z.data, () => boundZ + 1e-38),
          );
        }
      } finally {
        op.destroy();
        for (const s of [state.a, state.b]) for (const buf of [s.m, s.v, s.basis]) buf.destroy();
      }
      if (!outA || !outB || !outZ) throw new Error('lora_rite: no steps run');
      return { A: outA, B: outB, Z: outZ };
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
];
