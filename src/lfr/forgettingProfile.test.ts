import { describe, expect, it } from 'vitest';
import { countingBlocks } from '../test/lfrRun';
import { EpochScores, profileEpochsProblem, profileOf, profileSchedule } from './forgettingProfile';

// Block id's score in epoch e, by the class it should end in (5 blocks, 4 epochs).
const SCORES = [
  [9, 7, 5, 4], // learned
  [5, 6, 8, 9], // unlearned: rose, never fell
  [6, 6.1, 5.9, 6], // unchanged: no move past 5 %
  [9, 5, 8, 8], // forgotten once
  [9, 5, 8, 4], // forgotten once, then learned again: still forgotten once
];

// Plays a profile's random schedule with those scores as the training pass would give them.
function played(epochs: number, batchSize: number, scoreOf: (id: number, e: number) => number) {
  const blocks = countingBlocks(5);
  const s = profileSchedule(blocks, epochs, { batchSize, accumSteps: 1, seed: 3 });
  const scores = new EpochScores(5, epochs, batchSize);
  const inputs = new Uint32Array(batchSize * 3);
  const targets = new Uint32Array(batchSize * 3);
  const seen = new Map<number, number>();
  for (let step = 0; !s.done(); step++) {
    const ids = new Uint32Array(batchSize);
    s.next(ids, inputs, targets);
    const losses = Float32Array.from(ids, (id) => {
      const e = seen.get(id) ?? 0;
      seen.set(id, e + 1);
      return Math.log(scoreOf(id, Math.min(e, epochs - 1)));
    });
    scores.observe({ step, blockIds: ids, sequenceLosses: losses });
  }
  return scores;
}

describe('the forgetting profile', () => {
  // Mutant caught: the epoch of a visit taken from its step (a step straddling two epochs then
  // puts the next epoch's padding into this one).
  it("puts each block's score in the epoch of its visit, every block once per epoch", () => {
    const scores = played(4, 3, (id, e) => SCORES[id][e]);
    expect(scores.epochsDone()).toBe(4);
    for (let e = 0; e < 4; e++) {
      for (let id = 0; id < 5; id++) {
        expect(scores.data[e * 5 + id]).toBeCloseTo(SCORES[id][e], 4);
      }
    }
  });

  // Mutants caught: unlearned for a flat block (the old "never fell"); forgotten-twice not a
  // subset of forgotten.
  it('gives the shares of learned, unlearned, unchanged and forgotten blocks with the paper classes', () => {
    const p = profileOf(played(4, 3, (id, e) => SCORES[id][e]));
    expect(p.epochsDone).toBe(4);
    expect(p.final).toEqual({
      blocks: 5,
      learned: 0.2,
      unlearned: 0.2,
      unchanged: 0.2,
      forgotten: 0.4,
      forgottenTwice: 0,
    });
    expect(p.perEpoch).toHaveLength(4);
    // After epoch 0 no block has moved.
    expect(p.perEpoch[0].unchanged).toBe(1);
    const once = profileOf(played(4, 3, (_, e) => [9, 5, 8, 4, 8][e]));
    expect(once.final).toMatchObject({ forgotten: 1, forgottenTwice: 0 });
    const multi = profileOf(played(5, 3, (_, e) => [9, 5, 8, 4, 8][e]));
    expect(multi.final.forgotten).toBe(1);
    expect(multi.final.forgottenTwice).toBe(1);
  });

  it('counts only epochs scored in full, and refuses too few or too many epochs', () => {
    const scores = new EpochScores(4, 3, 2);
    scores.observe({ step: 0, blockIds: [0, 1], sequenceLosses: [1, 1] });
    scores.observe({ step: 1, blockIds: [2, 3], sequenceLosses: [1, 1] });
    scores.observe({ step: 2, blockIds: [3, 1], sequenceLosses: [1, 1] });
    expect(scores.epochsDone()).toBe(1);
    expect(profileOf(scores).perEpoch).toHaveLength(1);
    expect(profileEpochsProblem(1)).toMatch(/\[2, 64\]/);
    expect(profileEpochsProblem(65)).toMatch(/not 65/);
    expect(profileEpochsProblem(8)).toBeUndefined();
  });
});
