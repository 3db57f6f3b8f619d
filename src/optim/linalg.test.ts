import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import {
  eigh,
  F32,
  F64,
  frobenius,
  identity,
  lincomb,
  type Mat,
  matmul,
  matmulNT,
  matmulTN,
  type Precision,
  pinv,
  qr,
  randn,
  transpose,
  zeros,
} from './linalg';

function distance(a: Mat, b: Mat): number {
  return frobenius(lincomb(1, a, -1, b));
}

// ||Q^T Q - I||_F
function orthonormality(q: Mat): number {
  return distance(matmulTN(q, q), identity(q.cols));
}

// (m, r) with rank k: (m, k) (k, r)
function rankDeficient(rng: Rng, m: number, r: number, k: number): Mat {
  return matmul(randn(rng, m, k), randn(rng, k, r));
}

const precisions: [string, Precision][] = [
  ['f64', F64],
  ['f32', F32],
];

// Bounds are Higham's (Accuracy and Stability of Numerical Algorithms): Householder QR has
// backward error and loss of orthogonality gamma(m r) = m r u (Thm 19.4); each Jacobi sweep is
// r (r - 1) / 2 rotations of backward error ~u each, so a sweep costs r^2 u and we allow 10 sweeps.
describe('linalg', () => {
  const qrShapes: [number, number][] = [
    [1, 1],
    [3, 3],
    [7, 3],
    [16, 7],
    [33, 16],
    [40, 32],
  ];
  describe.each(precisions)('%s', (_, p) => {
    it.each(qrShapes)('QR of a %ix%i matrix reconstructs it with orthonormal Q', (m, r) => {
      const a = randn(new Rng(m * 100 + r), m, r);
      const { q, r: rr } = qr(a, p);
      const bound = m * r * p.unit;
      expect(distance(matmul(q, rr), a)).toBeLessThan(bound * frobenius(a));
      expect(orthonormality(q)).toBeLessThan(bound);
      for (let i = 0; i < r; i++) for (let j = 0; j < i; j++) expect(rr.data[i * r + j]).toBe(0);
    });

    it.each([1, 3, 7, 16, 32])(
      'Jacobi eigensolve of a %i x %i symmetric matrix reconstructs it',
      (n) => {
        const x = randn(new Rng(n), n, n);
        const a = lincomb(0.5, x, 0.5, transpose(x));
        const { values, vectors } = eigh(a, p);
        const diag = zeros(n, n);
        for (let i = 0; i < n; i++) diag.data[i * n + i] = values[i];
        const bound = 10 * n * n * p.unit;
        expect(distance(matmulNT(matmul(vectors, diag), vectors), a)).toBeLessThan(
          bound * frobenius(a),
        );
        expect(orthonormality(vectors)).toBeLessThan(bound);
        for (let i = 1; i < n; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
      },
    );
  });

  it('QR of a zero or rank-deficient factor keeps Q orthonormal and R exact zero for zero', () => {
    const z = qr(zeros(9, 4));
    expect(orthonormality(z.q)).toBe(0);
    expect(frobenius(z.r)).toBe(0);
    const a = rankDeficient(new Rng(3), 12, 6, 3);
    const { q, r } = qr(a);
    expect(orthonormality(q)).toBeLessThan(12 * 6 * F64.unit);
    expect(distance(matmul(q, r), a)).toBeLessThan(12 * 6 * F64.unit * frobenius(a));
  });

  it('Jacobi eigensolve finds the zero eigenvalues of a rank-1 Gram matrix to rounding', () => {
    const x = randn(new Rng(5), 8, 1);
    const g = matmulNT(x, x);
    const { values } = eigh(g);
    expect(values[0]).toBeCloseTo(frobenius(x) ** 2, 12);
    for (let i = 1; i < 8; i++)
      expect(Math.abs(values[i])).toBeLessThan(10 * 64 * F64.unit * values[0]);
  });

  it.each([1, 3, 7, 16, 32])(
    'pinv of a rank-deficient %i x %i R meets the Moore-Penrose conditions',
    (r) => {
      const k = Math.max(0, r - 1 - (r >> 2)); // rank r - 1 - r/4; 0 for r = 1
      const rr = k === 0 ? zeros(r, r) : qr(rankDeficient(new Rng(r), 2 * r, r, k)).r;
      const rcond = 2 * r * 2 * F64.unit;
      const x = pinv(rr, rcond);
      const rx = matmul(rr, x);
      const xr = matmul(x, rr);
      // rounding in R's null directions is ~r u ||R||; pinv's error is that times cond of the
      // kept part, so the conditions hold to r^2 u ||R|| ||R^+|| (normalised below)
      const scale = frobenius(rr) * frobenius(x);
      const bound = r * r * F64.unit * Math.max(1, scale);
      expect(distance(matmul(rx, rr), rr)).toBeLessThanOrEqual(bound * frobenius(rr));
      expect(distance(matmul(xr, x), x)).toBeLessThanOrEqual(bound * frobenius(x));
      expect(distance(rx, transpose(rx))).toBeLessThanOrEqual(bound);
      expect(distance(xr, transpose(xr))).toBeLessThanOrEqual(bound);
      // and its rank is k: trace of the projector R R^+
      let trace = 0;
      for (let i = 0; i < r; i++) trace += rx.data[i * r + i];
      expect(trace).toBeCloseTo(k, 10);
    },
  );

  it('pinv of an invertible ill-conditioned R is its inverse', () => {
    const rng = new Rng(11);
    const r = 6;
    const u = qr(randn(rng, r, r)).q;
    const v = qr(randn(rng, r, r)).q;
    const sigma = zeros(r, r);
    for (let i = 0; i < r; i++) sigma.data[i * r + i] = 10 ** -i; // cond 1e5
    const a = matmulNT(matmul(u, sigma), v);
    const x = pinv(a, r * 2 * F64.unit);
    expect(distance(matmul(a, x), identity(r))).toBeLessThan(r * r * F64.unit * 1e5);
  });
});
