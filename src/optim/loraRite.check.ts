import type { GpuContext } from '../gpu/device';
import { type Comparison, compare, F32_EPS } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { Rng } from '../util/rng';
import {
  eigh,
  frobenius,
  identity,
  lincomb,
  type Mat,
  matmul,
  matmulNT,
  matmulTN,
  pinv,
  qr,
  scale,
  zeros,
} from './linalg';
import { mixedShapes, nonFiniteCheck } from './loraAdam.check';
import { type LoraGpuRun, loraGpuRun } from './loraGpuRun';
import type { LoraOptimizerSettings, LoraShape } from './loraOptimizer';
import { cloneFactors, f32, loraProblem, problemGrads } from './loraProblem';
import { type RITE_WORKGROUPS, riteWorkgroups } from './loraRite';
import type { LoraPair } from './reference/lora';
import {
  createLoraRiteState,
  type LoraRiteHp,
  loraRiteDefaults,
  loraRiteStep,
} from './reference/loraRite';
import { regressionDz } from './reference/regression';

// The steps checks run the GPU one step at a time from the reference's factors (uploaded before
// every step; the GPU keeps its own M, V, rho and stored bases), with the same f32 gradients, so
// only the optimizer's own rounding in this step and in its carried state separates them. (Letting
// the GPU run on from its own factors instead compounds: an error e_P in the partner moves the
// next step by kappa e_P / |P| relative, kappa as below, so a first-order bound grows like
// kappa^t and after 20 steps admits anything.) Normwise, first order in u = 2^-24, for a factor X
// with partner P (rows and prows rows):
//   - the split of P (Householder QR, then one-sided Jacobi on R: backward stable): R^+ off by
//     c cond(R_P) prows u relative;
//   - g = dX R^+ and V: dot products of length r and rows, plus the R^+ error: (rows + r) u +
//     cond(R_P) prows u; Jacobi rotations add about r u per sweep (at most 12 sweeps);
//   - step 3: each side's sum of squares is a strided sum (E / W_split terms an invocation, E the
//     largest side's rows r) then a serial sum of the W_split partials, the global norm a strided
//     sum over the sides then a tree: at most (E / W_split + W_split + sides / W_side +
//     log2 W_side + 4) u relative, so is the clip scale (W: the workgroup sizes, riteWorkgroups);
//   - Pre = (V + rho I)^(-1/2): an eigenvalue w moved by u |V| changes 1 / sqrt(w) by
//     u |V| / (2 w) relative, i.e. cond(V + rho I) / 2 times V's error; V and rho carry earlier
//     steps' errors, decayed by b2 and not amplified (P is a contraction);
//   - S = g Pre, M (a convex mix of past S transported by contractions, so no growth), the step
//     M (R^+)^T: cond(R_P) again;
//   - storing X - step rounds once more: u |X(t)|_F.
// All together |X_gpu(t) - X_ref(t)|_F <= u (|X(t)|_F + C kappa |X(t) - X(t-1)|_F), with
// C = 2 (m + n + r SWEEPS) + the clip's term and kappa = cond(R_P) (1 + cond(V + rho I)), the
// latter a maximum over the steps so far (cond(R) over the singular values above the kernel's
// rank cutoff; cond(V + rho I) with eigenvalues floored at eps^2).
// A check is only a check if that bound is small against the step: a GPU that does nothing is
// off by the whole step |X(t) - X(t-1)|_F, and a wrong step by its relative error times that, so a
// step wrong by delta relative is caught when delta > u C kappa (plus u |X| / |step|). Hence the
// problems are well conditioned (loraProblem's `conditioned`: cond(R) = 1 at the start, kappa
// 2 at r = 1 and 14-19 at r = 12-32, so u C kappa is 6e-6 at r = 1 and 4e-4 to 1.2e-3 at
// r = 12-32), and each check fails itself unless a step that did nothing would miss the bound
// 10 times over (ABLE_TO_FAIL).
const SWEEPS = 12;
const ABLE_TO_FAIL = 10;
const TOLERANCE =
  '|X_gpu(t) - X_ref(t)|_F <= u (|X(t)|_F + C kappa |X(t) - X(t-1)|_F) for X = A, B of every ' +
  'pair, every step taken from the reference factors; u = 2^-24, C = 2 (m + n + 12 r) + ' +
  '(clip on) E / W_split + W_split + sides / W_side + log2 W_side + 4, kappa = max_s ' +
  'cond(R_partner) (1 + cond(V + rho I)) (loraRite.check.ts)';

/** The workgroup sizes of RITE_WORKGROUPS a check runs with. */
export type SizeKind = keyof typeof RITE_WORKGROUPS;

// The context as createLoraRite sees it on an adapter of the given kind (a GPU seen as a CPU one,
// or the reverse), so that both of its workgroup sizes are checked wherever the checks run.
function sizedContext(ctx: GpuContext, sizes: SizeKind): GpuContext {
  const architecture = sizes === 'cpu' ? 'swiftshader' : 'checked with the GPU sizes';
  return { ...ctx, adapter: { ...ctx.adapter, architecture, isFallbackAdapter: false } };
}

/** The learning rate of every RITE check. */
export const CHECK_LR = 1e-2;
const lr = CHECK_LR;
const steps = 20;

// |a - b|_F
function difference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

const frob = (x: ArrayLike<number>) => difference(x, new Float64Array(x.length));

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

export type RiteHp = Omit<LoraRiteHp, 'lr'>;

export function riteSettings(hp: RiteHp, rate = lr): LoraOptimizerSettings {
  const { clip, ...rest } = hp;
  return { kind: 'rite', ...rest, lr: rate, clipNorm: clip ? 1 : 0 };
}

const shapeText = (shapes: readonly LoraShape[]) =>
  shapes.map(({ m, n, r }) => `(${m},${n},${r})`).join(' ');

export interface StepsSpec {
  variant: string;
  shapes: readonly LoraShape[];
  hp: RiteHp;
  zeroA: boolean;
  steps: number;
  sizes: SizeKind;
}

/**
 * The GPU step against the reference's, one step at a time (see the bound above). `launch`
 * gives the settings the GPU runs with (the reference's, unless a mutant test changes them).
 */
export function stepsCheck(
  spec: StepsSpec,
  launch: LoraOptimizerSettings = riteSettings(spec.hp),
): KernelCheck {
  const { shapes, hp } = spec;
  return {
    kernel: 'lora_rite',
    variant: `${spec.variant}, ${spec.sizes} workgroup sizes`,
    shape: `${shapeText(shapes)}, ${spec.steps} steps`,
    tolerance: TOLERANCE,
    async run(checkCtx, bufs) {
      const ctx = sizedContext(checkCtx, spec.sizes);
      const problem = loraProblem(shapes, {
        steps: spec.steps,
        batchSize: 24,
        zeroA: spec.zeroA,
        seed: 11,
        conditioned: true,
      });
      const pairs = cloneFactors(problem.start);
      const refState = createLoraRiteState(pairs);
      const run = await loraGpuRun(ctx, bufs, problem.start, launch);
      const sides = 2 * shapes.length;
      const largest = Math.max(...shapes.map(({ m, n, r }) => Math.max(m, n) * r));
      const wg = riteWorkgroups(ctx.adapter);
      const clipTerm = hp.clip
        ? largest / wg.split + wg.split + sides / wg.side + Math.log2(wg.side) + 4
        : 0;
      const kappa = pairs.map(() => ({ a: 1, b: 1 }));
      // per output, the most a step that did nothing would miss its bound by
      const stillMiss: Record<string, number> = {};
      const out: Record<string, Comparison> = {};
      let clipped = 0;
      const held = (name: string, gpu: Mat, ref: Mat, before: Float64Array, bound: number) => {
        stillMiss[name] = Math.max(stillMiss[name] ?? 0, difference(ref.data, before) / bound);
        out[name] = worst(
          out[name],
          compare([difference(gpu.data, ref.data)], [0], () => bound),
        );
      };
      try {
        for (let t = 0; t < spec.steps; t++) {
          const grads = problemGrads(pairs, problem, t);
          run.load(pairs);
          const got = await run.step(t, grads);
          const before = pairs.map(({ a, b }) => ({ a: a.data.slice(), b: b.data.slice() }));
          const conds = pairs.map(({ a, b }) => ({ a: condFactor(a), b: condFactor(b) }));
          const stats = loraRiteStep(pairs, grads, refState, { ...hp, lr });
          if (stats.clipScale < 1) clipped++;
          pairs.forEach((pair, i) => {
            const { m, n, r } = shapes[i];
            const side = refState.pairs[i];
            const k = kappa[i];
            k.a = Math.max(k.a, conds[i].b * (1 + condMoment(side.a.v, side.a.rho, hp.eps)));
            k.b = Math.max(k.b, conds[i].a * (1 + condMoment(side.b.v, side.b.rho, hp.eps)));
            const c = 2 * (m + n + SWEEPS * r) + clipTerm;
            const bound = (x: Mat, before: Float64Array, k: number) =>
              F32_EPS * (frob(x.data) + c * k * difference(x.data, before)) + 1e-38;
            held(`A${i}`, got.pairs[i].a, pair.a, before[i].a, bound(pair.a, before[i].a, k.a));
            held(`B${i}`, got.pairs[i].b, pair.b, before[i].b, bound(pair.b, before[i].b, k.b));
          });
        }
      } finally {
        run.destroy();
      }
      // with the clip on, the check is only a check of step 3 if the clip took part
      if (hp.clip && clipped === 0) throw new Error('the global clip never engaged');
      for (const [name, miss] of Object.entries(stillMiss)) {
        if (miss < ABLE_TO_FAIL) {
          throw new Error(
            `${name}: a GPU step that did nothing would miss the bound only ${miss.toFixed(1)} ` +
              `times (at least ${ABLE_TO_FAIL} wanted): the problem is too ill-conditioned for ` +
              'this check to fail',
          );
        }
      }
      return out;
    },
  };
}

// Two GPU runs on the same batches, each taking gradients of its own Z: every output bit equal.
function determinismCheck(shapes: readonly LoraShape[], hp: RiteHp): KernelCheck {
  const steps = 10;
  return {
    kernel: 'lora_rite',
    variant: 'run twice: bit-identical',
    shape: `${shapeText(shapes)}, ${steps} steps`,
    tolerance: 'bitwise equal (fixed loop orders and reduction trees, no atomics)',
    async run(ctx, bufs) {
      const problem = loraProblem(shapes, { steps, batchSize: 24, zeroA: false, seed: 12 });
      const trajectory = async () => {
        const run = await loraGpuRun(ctx, bufs, problem.start, riteSettings(hp));
        let pairs = cloneFactors(problem.start);
        const bits: number[] = [];
        try {
          for (let t = 0; t < steps; t++) {
            pairs = (await run.step(t, problemGrads(pairs, problem, t))).pairs;
            for (const { a, b } of pairs) {
              bits.push(...new Uint32Array(new Float32Array([...a.data, ...b.data]).buffer));
            }
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
function rankDeficientCheck(shape: LoraShape, hp: RiteHp): KernelCheck {
  return {
    kernel: 'lora_rite',
    variant: 'rank-deficient V (batches of 1): finite',
    shape: `${shapeText([shape])}, 6 steps`,
    tolerance: 'every element of A and B finite, and the status reports nothing',
    async run(ctx, bufs) {
      const problem = loraProblem([shape], { steps: 6, batchSize: 1, zeroA: false, seed: 13 });
      const run = await loraGpuRun(ctx, bufs, problem.start, riteSettings(hp));
      let pairs = cloneFactors(problem.start);
      let flagged = 0;
      try {
        for (let t = 0; t < 6; t++) {
          const got = await run.step(t, problemGrads(pairs, problem, t));
          pairs = got.pairs;
          flagged += got.status.reduce((s, x) => s + (x === 0 ? 0 : 1), 0);
        }
      } finally {
        run.destroy();
      }
      const values = [...pairs[0].a.data, ...pairs[0].b.data, flagged];
      // a non-finite element (or a status report) counts 1 against a bound of 0.5
      return {
        finite: compare(
          values.map((x, i) => (Number.isFinite(x) && (i < values.length - 1 || x === 0) ? 0 : 1)),
          values.map(() => 0),
          () => 0.5,
        ),
      };
    },
  };
}

/** A reparametrisation (A, B) -> (A S, B S^-T), which leaves Z = A B^T unchanged. */
export interface Reparam {
  s: Mat;
  sInvT: Mat;
  cond: number;
}

// S = U diag(sigma) V^T (r, r) with random orthogonal U, V, so S^-T = U diag(1 / sigma) V^T exactly
function fromSingularValues(seed: number, sigma: number[]): Reparam {
  const r = sigma.length;
  const rng = new Rng(seed);
  const orthogonal = () =>
    qr({ rows: r, cols: r, data: Float64Array.from(rng.normalArray(r * r)) }).q;
  const [u, v] = [orthogonal(), orthogonal()];
  const diag = (f: (x: number) => number) => {
    const d = zeros(r, r);
    sigma.forEach((x, i) => {
      d.data[i * r + i] = f(x);
    });
    return matmulNT(matmul(u, d), v);
  };
  const cond = Math.max(...sigma) / Math.min(...sigma);
  return { s: diag((x) => x), sInvT: diag((x) => 1 / x), cond };
}

function scalarReparam(r: number, x: number): Reparam {
  return { s: scale(x, identity(r)), sInvT: scale(1 / x, identity(r)), cond: 1 };
}

const invarianceShape: LoraShape = { m: 13, n: 9, r: 4 };

export const reparams: Record<string, () => Reparam> = {
  'general S (cond 10)': () => fromSingularValues(7, [3, 1.4, 0.65, 0.3]),
  'ill-conditioned S (cond 1e4)': () => fromSingularValues(8, [1, 0.1, 0.01, 1e-4]),
  'orthogonal S': () => fromSingularValues(9, [1, 1, 1, 1]),
  'scalar S = 1e-3 I': () => scalarReparam(4, 1e-3),
  'scalar S = 1e3 I': () => scalarReparam(4, 1e3),
};

function relative(a: Mat, b: Mat): number {
  return frobenius(lincomb(1, a, -1, b)) / frobenius(b);
}

// The spec's float32 invariance bound, as in reference/loraRite.test.ts: 1e-5 cond(S) relative
// = 170 u cond(S), from chains of QR-like splits, r x r products and eigen-solves over 20 steps,
// amplified by cond(S) through the split of B S^-T and the re-magnification by R^+.
export const F32_INVARIANCE = 1e-5;

/**
 * Runs an optimizer on the GPU from (A, B) and from (A S, B S^-T), each taking the regression
 * gradient of its own Z; the largest relative difference over the steps of Z(2) from Z(1), A(2)
 * from A(1) S, B(2) from B(1) S^-T.
 */
export async function gpuInvarianceErrors(
  start: (pairs: LoraPair[]) => Promise<LoraGpuRun>,
  reparam: Reparam,
  zeroA: boolean,
): Promise<{ z: number; a: number; b: number }> {
  const problem = loraProblem([invarianceShape], { steps, batchSize: 24, zeroA, seed: 14 });
  const { s, sInvT } = reparam;
  let one = cloneFactors(problem.start);
  let two = [{ a: f32(matmul(one[0].a, s)), b: f32(matmul(one[0].b, sInvT)) }];
  const runs = [await start(one), await start(two)];
  const errors = { z: 0, a: 0, b: 0 };
  try {
    for (let t = 0; t < steps; t++) {
      one = (await runs[0].step(t, problemGrads(one, problem, t))).pairs;
      two = (await runs[1].step(t, problemGrads(two, problem, t))).pairs;
      const [p1, p2] = [one[0], two[0]];
      errors.z = Math.max(errors.z, relative(matmulNT(p2.a, p2.b), matmulNT(p1.a, p1.b)));
      errors.a = Math.max(errors.a, relative(p2.a, matmul(p1.a, s)));
      errors.b = Math.max(errors.b, relative(p2.b, matmul(p1.b, sInvT)));
    }
  } finally {
    for (const run of runs) run.destroy();
  }
  return errors;
}

export function invarianceCheck(kind: string, hp: RiteHp, zeroA: boolean): KernelCheck {
  const { m, n, r } = invarianceShape;
  const what = `${hp.escapedMass ? 'escaped mass' : 'no escaped mass'}, wd ${hp.weightDecay}`;
  return {
    kernel: 'lora_rite',
    variant: `invariance: ${kind}${zeroA ? ' from A = 0' : ''}, ${what}: same Z as from (A, B)`,
    shape: `m=${m} n=${n} r=${r}, ${steps} steps`,
    tolerance: `relative Frobenius error <= ${F32_INVARIANCE} cond(S) (the spec's f32 bound)`,
    async run(ctx, bufs) {
      const reparam = reparams[kind]();
      const e = await gpuInvarianceErrors(
        (pairs) => loraGpuRun(ctx, bufs, pairs, riteSettings(hp)),
        reparam,
        zeroA,
      );
      const bound = F32_INVARIANCE * reparam.cond;
      // one relative error per output, against its bound
      const out = (x: number) => compare([x], [0], () => bound);
      return { Z: out(e.z), 'A S': out(e.a), 'B S^-T': out(e.b) };
    },
  };
}

// sqrt(rows) times the orthogonal polar factor of g (rows, r), g (g^T g / rows)^(-1/2), by
// Newton-Schulz X <- X (3 I - X^T X) / 2 from X = g / |g|_F, independent of the eigen-solve
function polarStep(g: Mat): Mat {
  let x = scale(1 / frobenius(g), g);
  for (let i = 0; i < 100; i++) x = lincomb(1.5, x, -0.5, matmul(x, matmulTN(x, x)));
  return scale(Math.sqrt(g.rows), x);
}

// The first step from A = 0 (clip off): B does not move (R_A^+ = 0), and A moves by
// -lr g (g^T g / m)^(-1/2) R_B^-T up to eps, g = dZ U_B.
function firstStepCheck(shapes: readonly LoraShape[]): KernelCheck {
  return {
    kernel: 'lora_rite',
    variant: 'first step from A = 0: the closed form',
    shape: shapeText(shapes),
    tolerance:
      'B bitwise unchanged; |A - A_closed|_F <= lr |polar| |R_B^-1| eps / sqrt(w_min) + ' +
      'u (|A|_F + C kappa |A|_F), C and kappa as the steps check (g Pre vs the exact inverse root)',
    async run(ctx, bufs) {
      const hp: RiteHp = { ...loraRiteDefaults, clip: false };
      const problem = loraProblem(shapes, { steps: 1, batchSize: 24, zeroA: true, seed: 15 });
      const start = cloneFactors(problem.start);
      const run = await loraGpuRun(ctx, bufs, start, riteSettings(hp));
      let got: LoraPair[];
      try {
        got = (await run.step(0, problemGrads(start, problem, 0))).pairs;
      } finally {
        run.destroy();
      }
      const out: Record<string, Comparison> = {};
      shapes.forEach(({ m, n, r }, i) => {
        const b0 = start[i].b;
        const { q, r: rb } = qr(b0);
        const dz = regressionDz(zeros(m, n), problem.batches[i][0]);
        const g = matmul(dz, q);
        const rbInv = pinv(rb, 0);
        const polar = polarStep(g);
        const expected = scale(-lr, matmulNT(polar, rbInv));
        const wMin = eigh(scale(1 / m, matmulTN(g, g))).values[r - 1];
        const kappa = condFactor(b0) * (1 + condMoment(scale(1 / m, matmulTN(g, g)), 0, hp.eps));
        const step = frobenius(expected);
        const bound =
          lr * frobenius(polar) * frobenius(rbInv) * (hp.eps / Math.sqrt(wMin)) +
          F32_EPS * step * (1 + 2 * (m + n + SWEEPS * r) * kappa);
        out[`A${i}`] = compare(got[i].a.data, expected.data, () => bound);
        out[`B${i}`] = compare(got[i].b.data, f32(b0).data, () => 1e-38);
      });
      return out;
    },
  };
}

/** The checks' settings: the defaults without weight decay. */
export const base: RiteHp = { ...loraRiteDefaults, weightDecay: 0 };
const noEscape: RiteHp = { ...base, escapedMass: false };
const noEscapeDecay: RiteHp = { ...noEscape, weightDecay: 0.1 };

// the fast pairs of mixedShapes, for the variants
const smallShapes = [mixedShapes[0], mixedShapes[2]];

const batched =
  (variant: string, shapes: readonly LoraShape[], hp: RiteHp, zeroA = false) =>
  (sizes: SizeKind): StepsSpec => ({ variant, shapes, hp, zeroA, steps, sizes });

// Rows about 3 r, so that the unmagnified gradient (rows, r) and with it V stay well conditioned;
// clip off (the batched checks have it on), escaped mass on. r = 24 and 32 are slow on a software
// adapter (276 and 496 Jacobi pairs a sweep): fewer steps.
const rankShapes: Record<number, LoraShape & { steps: number }> = {
  1: { m: 9, n: 6, r: 1, steps },
  12: { m: 41, n: 38, r: 12, steps },
  16: { m: 53, n: 50, r: 16, steps },
  24: { m: 77, n: 74, r: 24, steps: 10 },
  32: { m: 101, n: 98, r: 32, steps: 6 },
};

/** The steps check at rank r (1, 12, 16, 24 or 32) with the given workgroup sizes. */
export function rankSpec(r: number, sizes: SizeKind): StepsSpec {
  const { steps: count, ...shape } = rankShapes[r];
  const hp: RiteHp = { ...base, clip: false };
  return { variant: `r = ${r}`, shapes: [shape], hp, zeroA: false, steps: count, sizes };
}

export const RANKS = [1, 12, 16, 24, 32];
const SIZES: SizeKind[] = ['gpu', 'cpu'];

export const loraRiteReferenceChecks: KernelCheck[] = [
  ...SIZES.map(batched('batched, clip, escaped mass', mixedShapes, base)),
  batched('batched, clip, no escaped mass, wd 0.1', smallShapes, noEscapeDecay)('gpu'),
  batched('batched, from A = 0', smallShapes, base, true)('cpu'),
  ...RANKS.flatMap((r) => SIZES.map((sizes) => rankSpec(r, sizes))),
].map((spec) => stepsCheck(spec));

export const loraRiteInvarianceChecks: KernelCheck[] = [
  ...Object.keys(reparams).map((kind) => invarianceCheck(kind, base, false)),
  invarianceCheck('general S (cond 10)', noEscapeDecay, false),
  invarianceCheck('orthogonal S', base, true),
  invarianceCheck('scalar S = 1e3 I', noEscape, true),
];

export const loraRiteSafetyChecks: KernelCheck[] = [
  firstStepCheck(mixedShapes),
  rankDeficientCheck({ m: 13, n: 9, r: 8 }, noEscape),
  nonFiniteCheck('lora_rite', riteSettings(base), mixedShapes),
  determinismCheck(mixedShapes, base),
];

export const loraRiteChecks: KernelCheck[] = [
  ...loraRiteReferenceChecks,
  ...loraRiteInvarianceChecks,
  ...loraRiteSafetyChecks,
];
