import { describe, expect, it } from 'vitest';
import { identity, matmulTN } from '../optim/linalg';
import {
  conditionNumber,
  DIAGONAL_COND,
  GENERAL_MAX_COND,
  INVARIANCE_MATRICES,
  invarianceMatrix,
  SCALAR_S,
} from './invarianceMatrix';

const maxAbsDiff = (a: Float64Array, b: Float64Array) =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('invarianceMatrix', () => {
  it('scalar is 10 I, with condition number 1', () => {
    const s = invarianceMatrix('scalar', 4, 1);
    expect(Array.from(s.data)).toEqual(Array.from(identity(4).data, (x) => x * SCALAR_S));
    expect(conditionNumber(s)).toBeCloseTo(1, 12);
  });

  it('diagonal has condition number 1e3 at every rank, r = 1 included', () => {
    for (const r of [1, 2, 7, 32]) {
      const s = invarianceMatrix('diagonal', r, 1);
      const offDiagonal = Array.from(s.data).filter((_, i) => i % (r + 1) !== 0);
      expect(offDiagonal.every((x) => x === 0)).toBe(true);
      if (r > 1) expect(conditionNumber(s) / DIAGONAL_COND - 1).toBeLessThan(1e-12);
      else expect(s.data[0]).toBeCloseTo(1 / DIAGONAL_COND, 15);
    }
  });

  it('orthogonal has S^T S = I to float64 rounding and is not the identity', () => {
    for (const r of [1, 3, 16]) {
      const s = invarianceMatrix('orthogonal', r, 9);
      // Householder QR in float64: S^T S = I to a few hundred unit roundoffs at these sizes.
      expect(maxAbsDiff(matmulTN(s, s).data, identity(r).data)).toBeLessThan(1e-13);
      if (r > 1) expect(maxAbsDiff(s.data, identity(r).data)).toBeGreaterThan(0.1);
    }
  });

  it('general is dense, not orthogonal, and conditioned below its bound', () => {
    const s = invarianceMatrix('general', 8, 3);
    expect(s.data.every((x) => x !== 0)).toBe(true);
    expect(maxAbsDiff(matmulTN(s, s).data, identity(8).data)).toBeGreaterThan(0.1);
    const cond = conditionNumber(s);
    expect(cond).toBeGreaterThan(1.5);
    expect(cond).toBeLessThan(GENERAL_MAX_COND);
  });

  it('the same seed gives the same S, another seed another one', () => {
    for (const kind of ['orthogonal', 'general'] as const) {
      const a = invarianceMatrix(kind, 5, 42);
      expect(Array.from(invarianceMatrix(kind, 5, 42).data)).toEqual(Array.from(a.data));
      expect(maxAbsDiff(invarianceMatrix(kind, 5, 43).data, a.data)).toBeGreaterThan(1e-3);
    }
  });

  it('every kind is invertible at every rank the optimizers take', () => {
    for (const kind of INVARIANCE_MATRICES) {
      for (const r of [1, 2, 32]) {
        const s = invarianceMatrix(kind, r, 7);
        expect(conditionNumber(s)).toBeLessThan(2 * DIAGONAL_COND);
      }
    }
  });

  it('refuses a rank below 1', () => {
    expect(() => invarianceMatrix('scalar', 0, 1)).toThrow('rank of at least 1');
  });
});
