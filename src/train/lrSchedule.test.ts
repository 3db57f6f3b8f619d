import { describe, expect, it } from 'vitest';
import { presetById } from '../model/config';
import { fineTuneSchedule, learningRateAt } from './lrSchedule';

const t = {
  ...presetById('tiny').train,
  learningRate: 1e-3,
  minLearningRate: 1e-4,
  warmupSteps: 10,
  maxSteps: 110,
};

describe('learningRateAt', () => {
  it('warms up linearly to the peak', () => {
    expect(learningRateAt(0, t)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(4, t)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(9, t)).toBeCloseTo(1e-3, 12);
  });
  it('decays by a cosine to the minimum', () => {
    expect(learningRateAt(10, t)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(60, t)).toBeCloseTo(5.5e-4, 12);
    expect(learningRateAt(110, t)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(500, t)).toBe(1e-4);
  });
  it('never increases after warmup', () => {
    for (let s = 10; s < 110; s++)
      expect(learningRateAt(s + 1, t)).toBeLessThanOrEqual(learningRateAt(s, t));
  });
});

describe('a fine-tune schedule', () => {
  it('warms up to the rate, then holds it (constant) or decays to a tenth of it (cosine)', () => {
    const rate = 0.02;
    const constant = fineTuneSchedule(rate, 4, 'constant', 20);
    const cosine = fineTuneSchedule(rate, 4, 'cosine', 20);
    for (const s of [constant, cosine]) {
      expect(learningRateAt(0, s)).toBeCloseTo(rate / 4, 15);
      expect(learningRateAt(3, s)).toBe(rate);
    }
    expect([4, 12, 19, 20].map((i) => learningRateAt(i, constant))).toEqual([
      rate,
      rate,
      rate,
      rate,
    ]);
    expect(learningRateAt(4, cosine)).toBeCloseTo(rate, 15);
    expect(learningRateAt(12, cosine)).toBeCloseTo(0.011, 15);
    expect(learningRateAt(20, cosine)).toBeCloseTo(rate / 10, 15);
  });
});
