// Reference LoRA-RITE (Yen et al., "LoRA Done RITE", ICLR 2025), one function per step of the
// studio's spec (steps 1-10), in float64 or simulated float32. The GPU optimizer is checked
// against it; its tests check that the update of Z = A B^T does not depend on how Z is factored.
//
// Each pair has two sides. The A side keeps its statistics in B's basis U_B (the r directions
// dA = dZ B mixes), the B side in A's basis: swap A and B everywhere.

import {
  eigh,
  F64,
  identity,
  lincomb,
  type Mat,
  matmul,
  matmulNT,
  matmulTN,
  type Precision,
  pinv,
  qr,
  rounded,
  symmetrize,
  transpose,
  zeros,
} from '../linalg';
import type { LoraGrad, LoraPair } from './lora';

export interface LoraRiteHp {
  lr: number;
  beta1: number; // 0.9
  beta2: number; // 0.999
  eps: number; // 1e-6, added to the square roots of the second moment's eigenvalues
  weightDecay: number; // decoupled: A <- A - lr wd A, outside the preconditioner
  escapedMass: boolean; // step 6: paper's Algorithm 1 (off in the official code)
  clip: boolean; // step 3: skip a side with RMS(g) > 1, then global norm of all g at most 1
}

export const loraRiteDefaults: Omit<LoraRiteHp, 'lr'> = {
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-6,
  weightDecay: 0,
  escapedMass: true,
  clip: true,
};

// How moments follow the basis from one step to the next. 'basis' is RITE; the other two are
// the negative controls of the tests: the transposed basis change, and no transport (P = I).
export type Transport = 'basis' | 'transposed' | 'none';

export interface LoraRiteOptions {
  transport: Transport;
  precision: Precision; // F32 rounds every intermediate, as the GPU stores it
}

export const loraRiteOptions: LoraRiteOptions = { transport: 'basis', precision: F64 };

// One side's state; shapes for the A side of an (m, n, r) pair (B side: swap m and n).
export interface RiteSide {
  m: Mat; // (m, r) first moment, in U_B coordinates
  v: Mat; // (r, r) second moment, in U_B coordinates
  rho: number; // escaped mass
  basis: Mat; // (n, r) U_B of the previous step; zero before the first
}

export interface LoraRiteState {
  t: number; // steps taken
  pairs: { a: RiteSide; b: RiteSide }[];
}

export interface LoraRiteStats {
  gradNorm: number; // global norm of the unmagnified gradients after skipping, before scaling
  clipScale: number; // factor the unmagnified gradients were scaled by (1: none)
  skipped: number; // sides whose update was skipped (RMS(g) > 1)
}

export function createLoraRiteState(pairs: readonly LoraPair[]): LoraRiteState {
  const side = (rows: number, partnerRows: number, r: number): RiteSide => ({
    m: zeros(rows, r),
    v: zeros(r, r),
    rho: 0,
    basis: zeros(partnerRows, r),
  });
  return {
    t: 0,
    pairs: pairs.map(({ a, b }) => ({
      a: side(a.rows, b.rows, a.cols),
      b: side(b.rows, a.rows, b.cols),
    })),
  };
}

// b(t) = beta (1 - beta^t) / (1 - beta^(t+1)): the bias-corrected decay, so b(0) = 0 and the
// first moments are the first statistics themselves.
export function biasCorrectedDecay(beta: number, t: number): number {
  return (beta * (1 - beta ** t)) / (1 - beta ** (t + 1));
}

// A factor split into an orthonormal basis and an r x r magnitude.
interface Split {
  u: Mat; // (rows, r)
  rPinv: Mat; // (r, r) R^+: R^-1 at full rank, and pinv(0) = 0 keeps a zero factor's partner still
}

// 1. x (rows, r) = U R, thin QR; singular values of R below rows * eps * sigma_max are rounding
// residue of a rank-deficient x and count as zero.
function split(x: Mat, p: Precision): Split {
  const { q, r } = qr(x, p);
  return { u: q, rPinv: pinv(r, x.rows * 2 * p.unit, p) };
}

// 3. safety: a side with RMS(g) > 1 skips this step (g = 0); then the global norm of all
// unmagnified gradients is scaled down to at most 1. Both are invariant: g changes only by a
// rotation between factorizations. With clip off only the norm is measured.
function clipUnmagnified(gs: Mat[], clip: boolean, p: Precision): LoraRiteStats {
  let skipped = 0;
  let sum = 0;
  for (const g of gs) {
    let g2 = 0;
    for (const x of g.data) g2 += x * x;
    if (clip && Math.sqrt(g2 / g.data.length) > 1) {
      g.data.fill(0);
      skipped++;
    } else {
      sum += g2;
    }
  }
  const gradNorm = Math.sqrt(sum);
  const clipScale = clip && gradNorm > 1 ? 1 / gradNorm : 1;
  if (clipScale < 1) {
    for (const g of gs)
      for (let i = 0; i < g.data.length; i++) g.data[i] = p.round(g.data[i] * clipScale);
  }
  return { gradNorm, clipScale, skipped };
}

// 4. P (r, r) = U(t)^T U(t-1): coordinates in the old partner basis -> the new one; zero at t = 0
// because the stored basis is zero.
function basisChange(u: Mat, previous: Mat, transport: Transport, p: Precision): Mat {
  if (transport === 'none') return identity(u.cols);
  const pm = matmulTN(u, previous, p);
  return transport === 'transposed' ? transpose(pm) : pm;
}

// 6. d = max_i (lambda_i(V(t-1)) - lambda_i(V~)), eigenvalues in the same (descending) order.
// P is a contraction so d >= 0 in exact arithmetic; the clamp removes rounding-level negatives.
function escapedMass(vPrevious: Mat, vTilde: Mat, p: Precision): number {
  const before = eigh(vPrevious, p).values;
  const after = eigh(vTilde, p).values;
  let d = 0;
  for (let i = 0; i < before.length; i++) d = Math.max(d, before[i] - after[i]);
  return d;
}

// 7. Pre (r, r) = Q diag(1 / (sqrt(max(w, 0)) + eps)) Q^T for V + rho I = Q diag(w) Q^T. The
// clamp matters: a rank-deficient V (tiny batches) has eigenvalues like -1e-20, whose sqrt is NaN.
function inverseSqrt(v: Mat, rho: number, eps: number, p: Precision): Mat {
  const r = v.rows;
  const shifted = lincomb(1, v, rho, identity(r), p);
  const { values, vectors } = eigh(shifted, p);
  const scaled = zeros(r, r); // Q diag(...)
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      const inv = 1 / (Math.sqrt(Math.max(values[j], 0)) + eps);
      scaled.data[i * r + j] = p.round(vectors.data[i * r + j] * inv);
    }
  }
  return symmetrize(matmulNT(scaled, vectors, p), p);
}

// Steps 4-10 for one side: x (rows, r) is the factor stepped, g (rows, r) its unmagnified
// gradient, partner the other factor's basis and R^+.
function stepSide(
  x: Mat,
  side: RiteSide,
  g: Mat,
  partner: Split,
  t: number,
  hp: LoraRiteHp,
  options: LoraRiteOptions,
): void {
  const p = options.precision;
  const b1 = biasCorrectedDecay(hp.beta1, t);
  const b2 = biasCorrectedDecay(hp.beta2, t);
  const pm = basisChange(partner.u, side.basis, options.transport, p); // 4
  // 5. V~ = P V P^T; V = b2 V~ + (1 - b2) g^T g / rows
  const vTilde = symmetrize(matmulNT(matmul(pm, side.v, p), pm, p), p);
  const gram = matmulTN(g, g, p);
  const v = symmetrize(lincomb(b2, vTilde, (1 - b2) / g.rows, gram, p), p);
  if (hp.escapedMass) side.rho = p.round(b2 * (side.rho + escapedMass(side.v, vTilde, p))); // 6
  const pre = inverseSqrt(v, side.rho, hp.eps, p); // 7
  const s = matmul(g, pre, p); // 8
  side.m = lincomb(b1, matmulNT(side.m, pm, p), 1 - b1, s, p); // 9: M = b1 M P^T + (1 - b1) S
  side.v = v;
  // 10. re-magnify into x's own coordinates: x <- x - lr (M (R^+)^T + wd x)
  const step = matmulNT(side.m, partner.rPinv, p);
  for (let i = 0; i < x.data.length; i++) {
    x.data[i] = p.round(x.data[i] - hp.lr * (step.data[i] + hp.weightDecay * x.data[i]));
  }
  side.basis = partner.u;
}

// pairs (A (m, r), B (n, r)) updated in place from grads (dA (m, r), dB (n, r)); state advances
// one step. All factors are split (step 1) before any is updated.
export function loraRiteStep(
  pairs: readonly LoraPair[],
  grads: readonly LoraGrad[],
  state: LoraRiteState,
  hp: LoraRiteHp,
  options: LoraRiteOptions = loraRiteOptions,
): LoraRiteStats {
  const p = options.precision;
  const splits = pairs.map(({ a, b }) => ({ a: split(a, p), b: split(b, p) }));
  // 2. unmagnified gradients: g_A (m, r) = dA R_B^+ (= dZ U_B at full rank), g_B = dB R_A^+
  const gs = grads.map(({ da, db }, i) => ({
    a: matmul(rounded(da, p), splits[i].b.rPinv, p),
    b: matmul(rounded(db, p), splits[i].a.rPinv, p),
  }));
  const stats = clipUnmagnified(
    gs.flatMap((g) => [g.a, g.b]),
    hp.clip,
    p,
  ); // 3
  pairs.forEach(({ a, b }, i) => {
    stepSide(a, state.pairs[i].a, gs[i].a, splits[i].b, state.t, hp, options);
    stepSide(b, state.pairs[i].b, gs[i].b, splits[i].a, state.t, hp, options);
  });
  state.t++;
  return stats;
}
