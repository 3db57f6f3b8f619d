import { describe, expect, it } from 'vitest';
import { countingBlocks, play } from '../test/lfrRun';
import { plannedLfrSize, Schedule } from './schedule';
import { DEFAULT_LFR_SETTINGS, LfrError } from './settings';

const defaults = DEFAULT_LFR_SETTINGS;

// Hand-made losses: the Learn score of block id is exp(learn[id]); Review reverses the order.
const learn = [3, 1, 2, 1, 5, 0.5, 2, 4, 1, 3];
const review = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].reverse();
const handMade = (id: number, phase: number) => (phase === 2 ? review[id] : learn[id]);

describe('Schedule (LFR)', () => {
  it('plans 4.0 passes with the defaults, with exact tokens per phase', () => {
    const T = 3;
    const s = Schedule.lfr(countingBlocks(100, T), defaults, { batchSize: 10, seed: 1 });
    expect(s.totalSteps()).toBe(40);
    expect(s.phases().map((p) => [p.name, p.startStep, p.endStep, p.keptCount, p.epochs])).toEqual([
      ['learn', 0, 10, 100, 1],
      ['focus', 10, 15, 50, 1],
      ['review', 15, 25, 100, 1],
      ['focusAgain', 25, 40, 30, 5],
    ]);
    expect(s.tokensPlanned()).toBe(40 * 10 * T);
    expect(s.baselineEpochs()).toBe(4);
    expect(s.phases().map((p) => p.tokens)).toEqual([100, 50, 100, 150].map((x) => x * T));
    expect(s.totalSteps(20)).toBe(5 + 3 + 5 + 8);
    play(s, handMade);
    expect(s.tokensUsed()).toBe(s.tokensPlanned());
    expect(s.phaseTokens(3)).toEqual({ planned: 150 * T, used: 150 * T });
  });

  it('drops the s1 % lowest Learn scores, ties broken by the lower id first', () => {
    const s = Schedule.lfr(countingBlocks(10), defaults, { batchSize: 2, seed: 3 });
    play(s, handMade);
    const cut = s.cut(1)!;
    // Sorted: 5 (0.5), 1 3 8 (1, by id), 2 6 (2): the fifth dropped is 2, so 6 stays.
    expect(Array.from(cut.dropped)).toEqual([5, 1, 3, 8, 2]);
    expect(Array.from(s.keptIds(1)!)).toEqual([0, 4, 6, 7, 9]);
    expect(cut.cutValue).toBeCloseTo(Math.exp(2), 5);
    expect(Array.from(cut.scores)).toEqual(learn.map((l) => Math.exp(Math.fround(l))));
    // Review scores 10 - id: the 7 lowest are ids 9..3.
    expect(Array.from(s.cut(3)!.dropped)).toEqual([9, 8, 7, 6, 5, 4, 3]);
    expect(Array.from(s.keptIds(3)!)).toEqual([0, 1, 2]);
  });

  it('keeps every block when s = 0', () => {
    const s = Schedule.lfr(countingBlocks(10), { ...defaults, s1: 0 }, { batchSize: 2, seed: 3 });
    play(s, handMade);
    expect(s.cut(1)!.dropped).toHaveLength(0);
    expect(Array.from(s.keptIds(1)!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(s.cut(1)!.cutValue).toBeNaN();
  });

  it('refuses bad settings before the run with every message', () => {
    const blocks = countingBlocks(10);
    expect(() => Schedule.lfr(blocks, { ...defaults, s1: 99 }, { batchSize: 1, seed: 0 })).toThrow(
      /s1 = 99 would keep no block of 10/,
    );
    expect(() => Schedule.lfr(blocks, defaults, { batchSize: 16, seed: 0 })).toThrow(LfrError);
    expect(() =>
      Schedule.lfr(blocks, { ...defaults, p3: -2, s2: 100 }, { batchSize: 1, seed: 0 }),
    ).toThrow(/p3 \(Review epochs\)[\s\S]*s2 is the percent/);
    expect(() => Schedule.random(blocks, 0, { batchSize: 1, seed: 0 })).toThrow(/above 0, not 0/);
    expect(() => Schedule.random(blocks, 1, { batchSize: 11, seed: 0 })).toThrow(
      /fewer than one batch/,
    );
  });

  it('covers each phase in order, every kept block exactly once per epoch, padding from the kept set', () => {
    const settings = { ...defaults, p1: 2, p2: 3, s2: 40, reps: 2 };
    const s = Schedule.lfr(countingBlocks(37), settings, { batchSize: 4, accumSteps: 2, seed: 9 });
    const played = play(s, (id, phase) => ((id * 7919 + phase * 31) % 97) / 10);
    const phases = s.phases();
    expect(played.map((p) => p.phase)).toEqual(
      phases.flatMap((p) => Array(p.endStep - p.startStep).fill(p.index)),
    );
    for (const p of phases) {
      const kept = s.keptIds(p.index)!;
      expect(p.endStep - p.startStep).toBe(Math.ceil((p.epochs * kept.length) / 8));
      const stream = played.filter((x) => x.phase === p.index).flatMap((x) => Array.from(x.ids));
      const whole = p.epochs * kept.length;
      for (let e = 0; e < p.epochs; e++) {
        const epoch = stream.slice(e * kept.length, (e + 1) * kept.length).sort((a, b) => a - b);
        expect(epoch).toEqual(Array.from(kept));
      }
      const padding = stream.slice(whole);
      expect(padding.length).toBeLessThan(8);
      expect(new Set(padding).size).toBe(padding.length);
      for (const id of padding) expect(kept).toContain(id);
    }
    expect(s.scores.phaseVisits(1).reduce((a, v) => a + v, 0)).toBe(
      (phases[1].endStep - phases[1].startStep) * 8,
    );
  });

  it('hands out each block window as inputs and the same shifted by one as targets', () => {
    const T = 3;
    const s = Schedule.lfr(countingBlocks(10, T), defaults, { batchSize: 2, seed: 5 });
    const ids = new Uint32Array(2);
    const inputs = new Uint32Array(2 * T);
    const targets = new Uint32Array(2 * T);
    s.next(ids, inputs, targets);
    for (let b = 0; b < 2; b++) {
      for (let t = 0; t < T; t++) {
        expect(inputs[b * T + t]).toBe(ids[b] * T + t);
        expect(targets[b * T + t]).toBe(ids[b] * T + t + 1);
      }
    }
  });

  it('is deterministic: the same seed gives the same batches and cuts, another seed others', () => {
    const run = (seed: number) => {
      const s = Schedule.lfr(countingBlocks(23), defaults, { batchSize: 3, seed });
      const ids = play(s, (id) => (id % 5) * 0.3).map((p) => Array.from(p.ids));
      return { ids, kept: Array.from(s.keptIds(3)!) };
    };
    expect(run(42)).toEqual(run(42));
    expect(run(43).ids).not.toEqual(run(42).ids);
  });

  it('waits for every result of Learn before the first Focus batch', () => {
    const settings = { ...defaults, s2: 50 };
    const s = Schedule.lfr(countingBlocks(10), settings, { batchSize: 5, seed: 0 });
    const ids = new Uint32Array(5);
    const io = new Uint32Array(15);
    s.next(ids, io, io);
    const first = { step: 0, blockIds: ids.slice(), sequenceLosses: new Float32Array(5) };
    s.next(ids, io, io);
    expect(s.currentPhase().name).toBe('focus');
    expect(s.needsObservation()).toBe(true);
    expect(s.ready()).toBe(false);
    expect(() => s.next(ids, io, io)).toThrow(/observe them first/);
    // Step 1 first: held until step 0 arrives, then both apply in order and the cut is made.
    s.observe({ step: 1, blockIds: ids.slice(), sequenceLosses: new Float32Array(5).fill(1) });
    expect(s.cut(1)).toBeNull();
    s.observe(first);
    expect(s.stepsObserved()).toBe(2);
    expect(Array.from(s.cut(1)!.dropped)).toEqual(Array.from(first.blockIds).sort((a, b) => a - b));
    expect(s.ready()).toBe(true);
    expect(() => s.observe(first)).toThrow(/already observed/);
  });

  it('refuses a step past the plan with the steps it holds', () => {
    const s = Schedule.random(countingBlocks(4), 1, { batchSize: 2, seed: 0 });
    play(s, () => 1);
    expect(() => s.next(new Uint32Array(2), new Uint32Array(6), new Uint32Array(6))).toThrow(
      "The random schedule's 2 steps are all given: set max_steps to 2.",
    );
  });
});

describe('Schedule (random baseline)', () => {
  it('matches an LFR plan token for token', () => {
    const lfr = Schedule.lfr(countingBlocks(37), defaults, {
      batchSize: 4,
      accumSteps: 2,
      seed: 1,
    });
    const base = Schedule.baseline(lfr);
    expect(base.totalSteps()).toBe(lfr.totalSteps());
    expect(base.tokensPlanned()).toBe(lfr.tokensPlanned());
    expect(base.phases()).toHaveLength(1);
  });
  it('shuffles every block once per epoch, a fresh order each epoch', () => {
    const s = Schedule.random(countingBlocks(12), 2.5, { batchSize: 4, seed: 7 });
    expect(s.totalSteps()).toBe(8);
    const stream = play(s, () => 1).flatMap((p) => Array.from(p.ids));
    const e0 = stream.slice(0, 12);
    const e1 = stream.slice(12, 24);
    expect([...e0].sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    expect([...e1].sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    expect(e1).not.toEqual(e0);
    expect(s.scores.visits(0) + s.scores.visits(1)).toBeGreaterThanOrEqual(4);
  });
});

describe('plannedLfrSize', () => {
  it('gives the steps Schedule.lfr plans, and the defaults cost 4.0 passes', () => {
    for (const [count, B, A] of [
      [100, 10, 1],
      [37, 4, 2],
      [23, 3, 1],
    ]) {
      const s = Schedule.lfr(countingBlocks(count), DEFAULT_LFR_SETTINGS, {
        batchSize: B,
        accumSteps: A,
        seed: 1,
      });
      const size = plannedLfrSize(count, DEFAULT_LFR_SETTINGS, B, A);
      expect(size.steps).toBe(s.totalSteps());
      expect(size.passes).toBeCloseTo((s.totalSteps() * A * B) / count, 12);
    }
    expect(plannedLfrSize(100, DEFAULT_LFR_SETTINGS, 10).passes).toBe(4);
  });
});
