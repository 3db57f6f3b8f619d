import { describe, expect, it } from 'vitest';
import { residualAccumulate, residualForward } from './residual';

describe('residual reference', () => {
  it('adds elementwise', () => {
    const out = new Float64Array(3);
    residualForward(out, [1, 2, 3], [10, 20, 30]);
    expect([...out]).toEqual([11, 22, 33]);
  });
  it('accumulates into the output', () => {
    const out = Float64Array.from([1, 1]);
    residualAccumulate(out, [2, 3]);
    expect([...out]).toEqual([3, 4]);
  });
});
