import { describe, expect, it } from 'vitest';
import { DEFAULT_LFR_SETTINGS, dropCount, validateLfrSettings } from './settings';

const defaults = DEFAULT_LFR_SETTINGS;

describe('validateLfrSettings', () => {
  it('accepts the paper defaults (reps = 5)', () => {
    expect(defaults).toEqual({ p1: 1, s1: 50, p2: 1, p3: 1, s2: 70, p4: 1, reps: 5 });
    expect(validateLfrSettings(defaults, 100, 10)).toEqual([]);
  });
  it('refuses s1 or s2 outside [0, 100)', () => {
    expect(validateLfrSettings({ ...defaults, s1: 100 }, 100, 1)).toEqual([
      's1 is the percent of blocks a Focus drops and must be in [0, 100), not 100.',
    ]);
    expect(validateLfrSettings({ ...defaults, s2: -1 }, 100, 1)).toEqual([
      's2 is the percent of blocks a Focus drops and must be in [0, 100), not -1.',
    ]);
    expect(validateLfrSettings({ ...defaults, s1: Number.NaN }, 100, 1)).toHaveLength(1);
    expect(validateLfrSettings({ ...defaults, s1: 0, s2: 0 }, 100, 1)).toEqual([]);
  });
  it('refuses negative or fractional epochs, and a Learn or Review of zero epochs', () => {
    expect(validateLfrSettings({ ...defaults, p2: -1 }, 100, 1)).toEqual([
      'p2 (first Focus epochs) must be a whole number of at least 0, not -1.',
    ]);
    expect(validateLfrSettings({ ...defaults, reps: 1.5 }, 100, 1)).toEqual([
      'reps (second Focus repetitions) must be a whole number of at least 0, not 1.5.',
    ]);
    expect(validateLfrSettings({ ...defaults, p1: 0 }, 100, 1)).toEqual([
      'p1 must be at least 1: the Focus after it cuts by the scores its epochs record.',
    ]);
    expect(validateLfrSettings({ ...defaults, p2: 0, p4: 0, reps: 0 }, 100, 1)).toEqual([]);
  });
  it('refuses a cut that would keep no block, and says how far to lower it', () => {
    // 10 blocks: 96 % rounds to 10 dropped; at most 90 % keeps one.
    expect(validateLfrSettings({ ...defaults, s1: 96 }, 10, 1)).toEqual([
      's1 = 96 would keep no block of 10 (it drops 10): lower s1 to at most 90.',
    ]);
    expect(dropCount(10, 90)).toBe(9);
  });
  it('refuses a cut that keeps fewer blocks than one batch', () => {
    expect(validateLfrSettings({ ...defaults, s2: 70 }, 20, 8)).toEqual([
      's2 = 70 keeps 6 of 20 blocks, fewer than one batch of 8: lower s2 to at most 60, or the batch size to at most 6.',
    ]);
    expect(validateLfrSettings({ ...defaults, s2: 60 }, 20, 8)).toEqual([]);
  });
  it('refuses a data set smaller than one batch', () => {
    expect(validateLfrSettings(defaults, 5, 8)).toEqual([
      'The data set gives 5 blocks, fewer than one batch of 8: lower the batch size to at most 5, lower block_size, or add text.',
    ]);
  });
  it('drops s % of the blocks rounded to the nearest block', () => {
    expect(dropCount(100, 50)).toBe(50);
    expect(dropCount(100, 70)).toBe(70);
    expect(dropCount(5, 50)).toBe(3);
    expect(dropCount(7, 0)).toBe(0);
  });
});
