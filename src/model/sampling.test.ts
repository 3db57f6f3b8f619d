import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { sampleToken } from './sampling';

describe('sampleToken', () => {
  it('takes the most likely token at temperature 0', () => {
    expect(sampleToken([0.1, 3, 2, 3], 0, 0, new Rng(1))).toBe(1);
  });
  it('never leaves the top k', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 500; i++)
      expect([2, 3]).toContain(sampleToken([0, 0, 5, 4.5, 0], 5, 2, rng));
  });
  it('follows the softmax probabilities at temperature 1', () => {
    const rng = new Rng(3);
    const counts = [0, 0];
    for (let i = 0; i < 20000; i++) counts[sampleToken([0, Math.log(3)], 1, 0, rng)]++;
    expect(counts[1] / 20000).toBeCloseTo(0.75, 1);
  });
  it('is reproducible with the same seed', () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 20 }, () => sampleToken([1, 2, 3, 4], 1, 0, rng));
    };
    expect(draw(9)).toEqual(draw(9));
  });
});
