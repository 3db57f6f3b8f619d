import { describe, expect, it } from 'vitest';
import { countingBlocks, play } from '../test/lfrRun';
import {
  classCountsOverTime,
  classesNow,
  classify,
  droppedForgottenAtReview,
  FORGETTING_CLASSES,
} from './forgetting';
import { Schedule } from './schedule';
import { BlockScores } from './scores';
import { DEFAULT_LFR_SETTINGS } from './settings';

describe('classify', () => {
  it.each([
    [[10, 8, 6, 5], 'learned', 0],
    // Mutant caught: 'unlearned' for a block that never fell but never rose either.
    [[10, 10.3, 9.8, 10.2], 'unchanged', 0],
    [[10, 12, 14], 'unlearned', 0],
    [[10], 'unchanged', 0],
    [[], 'unvisited', 0],
    [[10, 7, 9], 'forgotten', 1],
    [[10, 7, 9, 6], 'forgotten', 1],
    [[10, 7, 9, 6, 8], 'multipleDescent', 2],
    [[10, 7, 9, 6, 8, 5, 7], 'multipleDescent', 3],
    // A rise before any fall is not forgetting.
    [[10, 12, 8], 'learned', 0],
    [[10, Number.NaN, 7, Number.NaN, 9], 'forgotten', 1],
    // A NaN-scored visit (NAN_VISIT in the grid) is no move: mutant (counting it) says forgotten.
    [[10, Number.NEGATIVE_INFINITY, 10.2], 'unchanged', 0],
  ] as const)('%j is %s', (scores, cls, forgets) => {
    expect(classify(scores)).toEqual({ cls, forgets });
  });

  it('ignores moves within the relative tolerance', () => {
    // 7 -> 7.3 is +4.3 %: noise at 5 %, a rise at 1 %.
    expect(classify([10, 7, 7.3]).cls).toBe('learned');
    expect(classify([10, 7, 7.3], 0.01).cls).toBe('forgotten');
    // A slow creep still counts once it passes the tolerance from where it started.
    expect(classify([10, 9.7, 9.4]).cls).toBe('learned');
  });
});

describe('class counts over time', () => {
  it('classifies every block by its slices so far, ending at each block current class', () => {
    const seqs = [
      [5, 4, 3, 2],
      [5, 3, 4, 5],
      [5, 3, 4, 2, 3],
      [5, 5, 5, 5],
    ];
    const s = new BlockScores(5, { slices: 8 });
    for (let step = 0; step < 5; step++) {
      const ids = seqs.flatMap((q, id) => (step < q.length ? [id] : []));
      s.record(
        step,
        0,
        ids,
        ids.map((id) => Math.log(seqs[id][step])),
      );
    }
    const over = classCountsOverTime(s);
    expect(over).toHaveLength(5);
    expect(over[0]).toEqual({
      unvisited: 1,
      unchanged: 4,
      unlearned: 0,
      learned: 0,
      forgotten: 0,
      multipleDescent: 0,
    });
    expect(over[2]).toEqual({
      unvisited: 1,
      unchanged: 1,
      unlearned: 0,
      learned: 1,
      forgotten: 2,
      multipleDescent: 0,
    });
    expect(over[4]).toEqual({
      unvisited: 1,
      unchanged: 1,
      unlearned: 0,
      learned: 1,
      forgotten: 1,
      multipleDescent: 1,
    });
    const now = classesNow(s);
    expect(now).toEqual(['learned', 'forgotten', 'multipleDescent', 'unchanged', 'unvisited']);
    for (const c of FORGETTING_CLASSES) {
      expect(over[4][c]).toBe(now.filter((x) => x === c).length);
    }
  });
});

describe('droppedForgottenAtReview', () => {
  it('finds the dropped blocks whose Review score rose past their Learn score', () => {
    // Learn: ids 0..4 easy (dropped). Review: 1 and 3 rose by 10 %, 0 by 2 % (noise).
    const learn = [1, 1, 1, 1, 1, 3, 3, 3, 3, 3];
    const rise = [0.02, 0.1, 0, 0.1, -0.2, 0, 0, 0, 0, 0];
    const s = Schedule.lfr(countingBlocks(10), DEFAULT_LFR_SETTINGS, { batchSize: 2, seed: 4 });
    expect(droppedForgottenAtReview(s)).toBeNull();
    play(s, (id, phase) => (phase === 2 ? learn[id] + Math.log1p(rise[id]) : learn[id]));
    const r = droppedForgottenAtReview(s)!;
    expect(Array.from(s.cut(1)!.dropped)).toEqual([0, 1, 2, 3, 4]);
    expect(r.dropped).toBe(5);
    expect(r.reviewed).toBe(5);
    expect(Array.from(r.forgotten)).toEqual([1, 3]);
  });
});
