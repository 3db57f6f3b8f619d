import { describe, expect, it } from 'vitest';
import { countingBlocks } from '../test/lfrRun';
import { rankedIds, rankingAt, sortKeys } from './ranking';
import { Schedule } from './schedule';

// 8 blocks in batches of 4: Learn steps 0-1, Focus (drops 50 %) steps 2-3 (two epochs of 4 kept),
// Review 4-5, Focus again 6.
function run(stopAfter: number) {
  const s = Schedule.lfr(
    countingBlocks(8),
    { p1: 1, s1: 50, p2: 2, p3: 1, s2: 50, p4: 1, reps: 1 },
    { batchSize: 4, seed: 5 },
  );
  const B = 4;
  const inputs = new Uint32Array(B * 3);
  const targets = new Uint32Array(B * 3);
  for (let step = 0; step < stopAfter; step++) {
    const ids = new Uint32Array(B);
    s.next(ids, inputs, targets);
    // Learn: block id scores exp(1 + id / 10), so 0-3 are the easiest and dropped. In Focus the
    // kept blocks train down to exp(0.1), below any Learn score of a dropped block.
    const phase = s.phaseAt(step);
    const losses = Float32Array.from(ids, (id) => (phase === 0 ? 1 + id / 10 : 0.1));
    s.observe({ step, blockIds: ids, sequenceLosses: losses });
  }
  return s;
}

describe('the ranking of the blocks now', () => {
  // Mutant caught: ranking a Focus by each block's latest score (dropped blocks' Learn scores
  // would then outrank the kept blocks trained in Focus: the "hardest now" all dropped).
  it('ranks a Focus by the scores that decided it, with the step of each deciding visit', () => {
    const s = run(4);
    const r = rankingAt(s, 1);
    expect(r.basis).toBe('cut');
    expect(r.decidedBy).toBe(0);
    expect(rankedIds(r)).toEqual([7, 6, 5, 4, 3, 2, 1, 0]);
    // Every deciding visit was in Learn (steps 0-1), though kept blocks were visited since.
    expect(Array.from(r.steps).every((step) => step === 0 || step === 1)).toBe(true);
    expect(s.scores.lastStep(7)).toBeGreaterThanOrEqual(2);
  });

  // Mutant caught: leaving the phase filter out (a block gets its Learn score in Review).
  it('ranks a phase without a cut by its own visits only, leaving the others out', () => {
    const s = run(5);
    const r = rankingAt(s, 2);
    expect(r.basis).toBe('phase');
    const ranked = rankedIds(r);
    expect(ranked).toHaveLength(4);
    for (const id of ranked) expect(r.steps[id]).toBe(4);
    const keys = sortKeys(r);
    for (let id = 0; id < 8; id++) expect(Number.isNaN(keys[id])).toBe(!ranked.includes(id));
  });

  // Mutant caught: a NaN score treated as no score (left out of the ranking).
  it('ranks a visit that scored NaN as the hardest, as a cut does', () => {
    const scores = Float64Array.of(1, 2, Number.NaN, 3);
    const r = {
      phase: 0,
      basis: 'phase' as const,
      decidedBy: null,
      scores,
      steps: Int32Array.of(0, 0, 1, -1),
    };
    expect(rankedIds(r)).toEqual([2, 3, 1, 0]);
    expect(Array.from(sortKeys(r))).toEqual([1, 2, Number.POSITIVE_INFINITY, 3]);
  });
});
