import { describe, expect, it } from 'vitest';
import { grid1d, MAX_WORKGROUPS_PER_DIM } from './ops';

describe('grid1d', () => {
  it('keeps a small count on x', () => {
    expect(grid1d(7)).toEqual([7, 1]);
  });
  it('never dispatches zero workgroups', () => {
    expect(grid1d(0)).toEqual([1, 1]);
  });
  it('splits a count over the per-dimension limit and still covers it', () => {
    const n = MAX_WORKGROUPS_PER_DIM * 3 + 5;
    const [x, y] = grid1d(n);
    expect(x).toBeLessThanOrEqual(MAX_WORKGROUPS_PER_DIM);
    expect(x * y).toBeGreaterThanOrEqual(n);
  });
});
