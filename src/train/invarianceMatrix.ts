// The r x r matrices S of the invariance demo: the same adapters refactored as (A S, B S^-T) must
// train to the same Z under a transformation-invariant optimizer, whatever S is.
import { eigh, identity, type Mat, matmulTN, qr, scale, zeros } from '../optim/linalg';
import { Rng } from '../util/rng';

export const INVARIANCE_MATRICES = ['scalar', 'diagonal', 'orthogonal', 'general'] as const;
export type InvarianceMatrixKind = (typeof INVARIANCE_MATRICES)[number];

/** The scalar preset: S = 10 I, a factorization ten times larger on A and smaller on B. */
export const SCALAR_S = 10;
/** The diagonal preset's condition number. */
export const DIAGONAL_COND = 1e3;
/** The general preset redraws until its condition number is below this (a dense S, not a near-singular one). */
export const GENERAL_MAX_COND = 100;

/** sigma_max / sigma_min of S (from the eigenvalues of S^T S, descending). */
export function conditionNumber(s: Mat): number {
  const { values } = eigh(matmulTN(s, s));
  return Math.sqrt(values[0] / values[values.length - 1]);
}

// (r, r) entries N(0, 1/r) from the stream
function gaussian(r: number, rng: Rng): Mat {
  const m = zeros(r, r);
  for (let i = 0; i < r * r; i++) m.data[i] = rng.normal() / Math.sqrt(r);
  return m;
}

/**
 * One S of the kind for rank r; `seed` draws the random kinds (the same seed, the same S):
 * scalar 10 I; diagonal from 1 down to 1e-3 (log-spaced, cond 1e3); orthogonal, the Q of a
 * Gaussian matrix's QR; general, I plus a Gaussian matrix, redrawn until its cond is below 100.
 */
export function invarianceMatrix(kind: InvarianceMatrixKind, r: number, seed: number): Mat {
  if (!Number.isInteger(r) || r < 1) throw new Error(`S needs a rank of at least 1, not ${r}.`);
  const rng = new Rng(seed);
  if (kind === 'scalar') return scale(SCALAR_S, identity(r));
  if (kind === 'diagonal') {
    const s = identity(r);
    // r = 1 has one entry: the smallest, so the demo still rescales the pair.
    for (let i = 0; i < r; i++) s.data[i * r + i] = DIAGONAL_COND ** -(r === 1 ? 1 : i / (r - 1));
    return s;
  }
  if (kind === 'orthogonal') return qr(gaussian(r, rng)).q;
  for (;;) {
    const g = gaussian(r, rng);
    for (let i = 0; i < r; i++) g.data[i * r + i] += 1;
    if (conditionNumber(g) < GENERAL_MAX_COND) return g;
  }
}
