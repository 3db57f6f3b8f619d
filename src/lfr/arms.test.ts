import { describe, expect, it } from 'vitest';
import { countingBlocks, play } from '../test/lfrRun';
import { armOfKind, kindOfArm, LFR_ARMS, scheduleForArm } from './arms';
import { randomCut } from './schedule';
import { DEFAULT_LFR_SETTINGS } from './settings';

const defaults = DEFAULT_LFR_SETTINGS;

// Hand-made losses (as schedule.test.ts): Learn score exp(learn[id]); phase 2 scores exp(10 - id).
const learn = [3, 1, 2, 1, 5, 0.5, 2, 4, 1, 3];
const handMade = (id: number, phase: number) => (phase === 2 ? 10 - id : learn[id]);

describe('LFR arms', () => {
  it('drops a seeded random s % at each cut: the sets the Python generator gives', () => {
    // From scripts/lfr_replay.py's Mulberry32 and Fisher-Yates, seeded (seed ^ imul(phase + 1, 0x85ebca6b)).
    const s = scheduleForArm('randomDrop', countingBlocks(10), defaults, { batchSize: 2, seed: 3 });
    play(s, handMade);
    expect(Array.from(s.cut(1)!.dropped)).toEqual([0, 2, 3, 8, 9]);
    expect(Array.from(s.keptIds(1)!)).toEqual([1, 4, 5, 6, 7]);
    expect(Array.from(s.cut(3)!.dropped)).toEqual([0, 1, 3, 4, 5, 7, 9]);
    expect(Array.from(s.keptIds(3)!)).toEqual([2, 6, 8]);
    expect(s.cut(1)!.cutValue).toBeNaN();
    expect(Array.from(randomCut(10, 50, 4, 1).dropped)).toEqual([2, 3, 5, 7, 8]);
  });

  it('makes the random drop without reading a score', () => {
    const cuts = [handMade, (id: number) => -id].map((loss) => {
      const s = scheduleForArm('randomDrop', countingBlocks(10), defaults, {
        batchSize: 2,
        seed: 3,
      });
      play(s, loss);
      return [Array.from(s.keptIds(1)!), Array.from(s.keptIds(3)!)];
    });
    expect(cuts[1]).toEqual(cuts[0]);
  });

  it('plans the same steps and tokens, phase by phase, in every arm', () => {
    for (const [n, B, A, settings] of [
      [100, 10, 1, defaults],
      [37, 3, 2, defaults],
      [23, 4, 3, { ...defaults, s1: 33, p2: 2, p3: 2, s2: 45, reps: 2 }],
    ] as const) {
      const arms = LFR_ARMS.map((arm) =>
        scheduleForArm(arm, countingBlocks(n, 5), settings, {
          batchSize: B,
          accumSteps: A,
          seed: 7,
        }),
      );
      const lfr = arms[0];
      for (const s of arms) {
        expect(s.totalSteps()).toBe(lfr.totalSteps());
        expect(s.tokensPlanned()).toBe(lfr.tokensPlanned());
        play(s, handMade);
        expect(s.tokensUsed()).toBe(lfr.tokensPlanned());
      }
      for (const s of arms.slice(2)) {
        expect(s.phases().map((p) => [p.startStep, p.endStep, p.tokens])).toEqual(
          lfr.phases().map((p) => [p.startStep, p.endStep, p.tokens]),
        );
      }
    }
  });

  it('without Review trains the first Focus blocks in its place and cuts again by the latest scores', () => {
    const s = scheduleForArm('noReview', countingBlocks(10), defaults, { batchSize: 2, seed: 3 });
    expect(s.phases().map((p) => [p.name, p.keptCount, p.decidedBy])).toEqual([
      ['learn', 10, null],
      ['focus', 5, 0],
      ['focus', 5, 0],
      ['focusAgain', 3, 2],
    ]);
    const played = play(s, handMade);
    expect(Array.from(s.keptIds(2)!)).toEqual([0, 4, 6, 7, 9]);
    expect(
      played
        .filter((p) => p.phase === 2)
        .every((p) => p.ids.every((id) => [0, 4, 6, 7, 9].includes(id))),
    ).toBe(true);
    // Kept blocks score 10 - id (phase 2), dropped ones keep their Learn scores: ranked 5 (0.5),
    // 1 3 8 9 (1, by id), 2 (2), 7 (3), then 6 (4), 4 (6), 0 (10); 70 % drops the first 7.
    expect(Array.from(s.cut(3)!.dropped)).toEqual([5, 1, 3, 8, 9, 2, 7]);
    expect(Array.from(s.keptIds(3)!)).toEqual([0, 4, 6]);
    expect(s.cut(3)!.scores[5]).toBeCloseTo(Math.exp(0.5), 5);
    expect(s.cut(3)!.scores[9]).toBeCloseTo(Math.exp(1), 5);
  });

  it('maps arms to schedule kinds and back', () => {
    for (const arm of LFR_ARMS) expect(armOfKind(kindOfArm(arm))).toBe(arm);
    expect(kindOfArm('baseline')).toBe('random');
  });
});
