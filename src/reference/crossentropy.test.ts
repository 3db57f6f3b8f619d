import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import {
  crossentropyForward,
  crossentropyForwardBackward,
  IGNORE_INDEX,
  sequenceLoss,
} from './crossentropy';

describe('cross-entropy reference', () => {
  it('gives log V for equal logits, 0 for one class, and 0 for an ignored target', () => {
    const losses = new Float64Array(3);
    crossentropyForward(losses, [0.5, 0.5, 0.5, 0.5, 7, 1, 2, 3], [2, IGNORE_INDEX], 2, 4);
    expect(losses[0]).toBeCloseTo(Math.log(4), 14);
    expect(losses[1]).toBe(0);
    crossentropyForward(losses, [123], [0], 1, 1);
    expect(losses[0]).toBe(0);
  });

  it('stays finite for logits whose exp overflows', () => {
    const losses = new Float64Array(1);
    crossentropyForward(losses, [1000, 999], [1], 1, 2);
    expect(losses[0]).toBeCloseTo(1 + Math.log(1 + Math.exp(-1)), 12);
  });

  it('the gradient matches central differences of the mean loss, and is 0 on ignored rows', () => {
    const N = 4;
    const V = 6;
    const targets = [2, IGNORE_INDEX, 0, 5];
    const counted = 3;
    const rng = new Rng(7);
    const logits = Float64Array.from(rng.normalArray(N * V, 2));
    const meanLoss = (x: Float64Array) => {
      const losses = new Float64Array(N);
      crossentropyForward(losses, x, targets, N, V);
      return losses.reduce((a, b) => a + b, 0) / counted;
    };
    const dlogits = Float64Array.from(logits);
    const losses = new Float64Array(N);
    crossentropyForwardBackward(losses, dlogits, targets, N, V, 1 / counted);
    const expectedLosses = new Float64Array(N);
    crossentropyForward(expectedLosses, logits, targets, N, V);
    expect([...losses]).toEqual([...expectedLosses]);
    const h = 1e-5;
    for (let k = 0; k < N * V; k++) {
      const plus = Float64Array.from(logits);
      const minus = Float64Array.from(logits);
      plus[k] += h;
      minus[k] -= h;
      const numeric = (meanLoss(plus) - meanLoss(minus)) / (2 * h);
      // central differences: O(h^2) truncation plus O(eps/h) roundoff, both under 1e-9 here
      expect(Math.abs(dlogits[k] - numeric)).toBeLessThan(1e-9);
    }
    expect([...dlogits.subarray(V, 2 * V)]).toEqual(new Array(V).fill(0));
  });
});

describe('sequence loss reference', () => {
  it('averages each sequence and the batch over counted tokens only', () => {
    const I = IGNORE_INDEX;
    const seqLoss = new Float64Array(3);
    const meanLoss = new Float64Array(1);
    const losses = [1, 2, 3, 99, 4, 99, 99, 99, 99];
    const targets = [0, 0, 0, I, 0, I, I, I, I];
    sequenceLoss(seqLoss, meanLoss, losses, targets, 3, 3);
    expect([...seqLoss]).toEqual([2, 4, 0]);
    expect(meanLoss[0]).toBe(10 / 4);
  });

  it('gives 0 when no token is counted', () => {
    const seqLoss = new Float64Array(1);
    const meanLoss = new Float64Array(1).fill(5);
    sequenceLoss(seqLoss, meanLoss, [3], [IGNORE_INDEX], 1, 1);
    expect(meanLoss[0]).toBe(0);
  });
});
