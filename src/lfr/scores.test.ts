import { describe, expect, it } from 'vitest';
import { BlockScores, NAN_VISIT } from './scores';

const f = Math.fround;

describe('BlockScores', () => {
  it('scores a visit as exp(loss) and keeps visits, last score, last step and phase means', () => {
    const s = new BlockScores(4);
    s.record(0, 0, [2, 0], Float32Array.of(1, 0.5));
    s.record(1, 0, [2, 3], Float32Array.of(2, 0.25));
    s.record(5, 1, [2], Float32Array.of(3));
    expect(s.visits(2)).toBe(3);
    expect(s.lastScore(2)).toBe(f(Math.exp(3)));
    expect(s.lastStep(2)).toBe(5);
    expect(s.lastScore(1)).toBeNaN();
    expect(s.lastStep(1)).toBe(-1);
    const learn = s.phaseMeans(0);
    expect(learn[2]).toBeCloseTo((Math.exp(1) + Math.exp(2)) / 2, 12);
    expect(learn[0]).toBeCloseTo(Math.exp(0.5), 12);
    expect(learn[1]).toBeNaN();
    expect(Array.from(s.phaseVisits(0))).toEqual([1, 0, 2, 1]);
    expect(s.phaseMeans(1)[2]).toBeCloseTo(Math.exp(3), 12);
    expect(s.phaseMeans(5)[2]).toBeNaN();
  });

  it('gives a slices x blocks grid of last-visit scores, NaN where unvisited', () => {
    const s = new BlockScores(3, { slices: 4 });
    s.record(0, 0, [0], [0]);
    s.record(0, 0, [0], [1]);
    s.record(2, 0, [1], [0]);
    const g = s.grid();
    expect(g.slices).toBe(3);
    expect(g.sliceWidth).toBe(1);
    expect(Array.from(g.data)).toEqual([f(Math.exp(1)), NaN, NaN, NaN, NaN, NaN, NaN, 1, NaN]);
    expect(s.historyOf(0)).toEqual([{ slice: 0, score: f(Math.exp(1)) }]);
  });

  it('merges adjacent slices when the run outgrows them, keeping the later visit', () => {
    const s = new BlockScores(2, { slices: 4 });
    for (let step = 0; step < 4; step++) s.record(step, 0, [0], [step]);
    s.record(1, 0, [1], [7]);
    s.record(4, 0, [0], [4]);
    // Width 2: slices {0,1}, {2,3}, {4,5}.
    expect(s.sliceWidth).toBe(2);
    expect(s.usedSlices).toBe(3);
    expect(s.historyOf(0).map((h) => [h.slice, h.score])).toEqual([
      [0, f(Math.exp(1))],
      [1, f(Math.exp(3))],
      [2, f(Math.exp(4))],
    ]);
    expect(s.historyOf(1)).toEqual([{ slice: 0, score: f(Math.exp(7)) }]);
    s.record(20, 0, [1], [2]);
    expect(s.sliceWidth).toBe(8);
    expect(s.historyOf(1).map((h) => h.slice)).toEqual([0, 2]);
    expect(s.historyOf(0).map((h) => h.slice)).toEqual([0]);
  });

  it('stays within its fixed memory however many visits it records', () => {
    const n = 1000;
    const s = new BlockScores(n, { slices: 8 });
    const ids = Uint32Array.from({ length: n }, (_, i) => i);
    const losses = new Float32Array(n).fill(1);
    s.record(0, 0, ids, losses);
    const bytes = s.bytes;
    // 12 B per block, 4 B per block per slice, 16 B per block for the phase.
    expect(bytes).toBe(n * (12 + 4 * 8 + 16));
    for (let step = 1; step < 500; step++) s.record(step, 0, ids, losses);
    expect(s.bytes).toBe(bytes);
    expect(s.visits(7)).toBe(500);
    expect(s.usedSlices).toBeLessThanOrEqual(8);
    expect(s.sliceWidth).toBe(64);
    expect(s.grid().data.length).toBe(s.usedSlices * n);
  });

  it('holds 100k blocks with 64 slices and 4 phases in 33.2 MB', () => {
    const n = 100_000;
    const s = new BlockScores(n);
    for (let phase = 0; phase < 4; phase++) s.record(phase, phase, [0], [0]);
    expect(s.bytes).toBe(n * (12 + 4 * 64 + 4 * 16));
    expect(s.bytes).toBe(33_200_000);
  });

  // Mutant caught: record() writing the NaN score itself into the history (the cell reads as unvisited).
  it('keeps a NaN score as a visit (NAN_VISIT in the grid, NaN in the history), not as unvisited', () => {
    const s = new BlockScores(2, { slices: 4 });
    s.record(0, 0, [0, 1], [Number.NaN, 1]);
    expect(s.grid().data[0]).toBe(NAN_VISIT);
    expect(s.historyOf(0)).toEqual([{ slice: 0, score: Number.NaN }]);
    expect(s.visits(0)).toBe(1);
    s.record(1, 0, [0], [0]);
    expect(s.historyOf(0).map((h) => h.score)).toEqual([Number.NaN, 1]);
  });

  // Mutant caught: phaseLastSteps() giving the block's last step over all phases.
  it("keeps the step of each block's last visit per phase, and restores it", () => {
    const s = new BlockScores(3);
    s.record(0, 0, [0, 1], [1, 1]);
    s.record(2, 0, [1], [1]);
    s.record(5, 1, [1], [1]);
    expect(Array.from(s.phaseLastSteps(0))).toEqual([0, 2, -1]);
    expect(Array.from(s.phaseLastSteps(1))).toEqual([-1, 5, -1]);
    const copy = new BlockScores(3);
    copy.restoreState(s.saveState());
    expect(Array.from(copy.phaseLastSteps(0))).toEqual([0, 2, -1]);
    const old = s.saveState();
    for (const p of old.phases) delete p.lastStep;
    copy.restoreState(old);
    expect(Array.from(copy.phaseLastSteps(0))).toEqual([-1, -1, -1]);
    expect(copy.phaseMeans(0)[1]).toBe(s.phaseMeans(0)[1]);
  });

  it('refuses mismatched lengths, unknown ids and bad steps', () => {
    const s = new BlockScores(2);
    expect(() => s.record(0, 0, [0, 1], [1])).toThrow(/2 block ids but 1 losses/);
    expect(() => s.record(0, 0, [2], [1])).toThrow(/block id 2 is not in \[0, 2\)/);
    expect(() => s.record(-1, 0, [0], [1])).toThrow(/step/);
    expect(() => s.record(0, 8, [0], [1])).toThrow(/phase/);
    expect(() => new BlockScores(2, { slices: 3 })).toThrow(/even/);
  });
});
