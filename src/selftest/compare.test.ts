import { describe, expect, it } from 'vitest';
import { compare } from './compare';

describe('compare', () => {
  it('passes when every error is inside its bound', () => {
    const c = compare([1, 2.001], [1, 2], () => 0.01);
    expect(c.pass).toBe(true);
    expect(c.maxAbsError).toBeCloseTo(0.001, 9);
  });
  it('fails and names the worst element when one error exceeds its bound', () => {
    const c = compare([1, 2, 3.5], [1, 2, 3], (i) => (i === 2 ? 0.1 : 1));
    expect(c.pass).toBe(false);
    expect(c.worstIndex).toBe(2);
    expect(c.worstRatio).toBeCloseTo(5, 9);
  });
  it('fails on NaN', () => {
    expect(compare([Number.NaN], [0], () => 1).pass).toBe(false);
  });
  it('refuses arrays of different lengths', () => {
    expect(() => compare([1], [1, 2], () => 1)).toThrow(/length/);
  });
});
