import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { gradNorm } from './gradnorm';

describe('gradNorm reference', () => {
  it('gives the Euclidean norm of a 3-4-5 gradient', () => {
    const norm = new Float64Array(2);
    gradNorm(norm, [3, -4], 10);
    expect(norm[0]).toBe(5);
  });
  it('matches Math.hypot on a random gradient', () => {
    const g = new Rng(3).normalArray(1000);
    const norm = new Float64Array(2);
    gradNorm(norm, g, 0);
    expect(norm[0]).toBeCloseTo(Math.hypot(...g), 10);
  });
  it('clips to maxNorm / (norm + 1e-6) when the norm exceeds maxNorm', () => {
    const norm = new Float64Array(2);
    gradNorm(norm, [3, -4], 1);
    expect(norm[1]).toBe(1 / (5 + 1e-6));
  });
  it('leaves the scale at 1 when the norm is under maxNorm', () => {
    const norm = new Float64Array(2);
    gradNorm(norm, [3, -4], 10);
    expect(norm[1]).toBe(1);
  });
  it('does not clip when maxNorm is 0', () => {
    const norm = new Float64Array(2);
    gradNorm(norm, [300, -400], 0);
    expect([...norm]).toEqual([500, 1]);
  });
});
