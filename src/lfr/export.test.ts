import { describe, expect, it } from 'vitest';
import { countingBlocks, play } from '../test/lfrRun';
import { scheduleForArm } from './arms';
import {
  exportSchedule,
  historiesCsv,
  historiesJson,
  parseScheduleJson,
  type ScheduleExport,
  scheduleToJson,
} from './export';
import { Schedule } from './schedule';
import { BlockScores } from './scores';
import { DEFAULT_LFR_SETTINGS } from './settings';

const played = () => {
  const s = Schedule.lfr(countingBlocks(20), DEFAULT_LFR_SETTINGS, { batchSize: 3, seed: 8 });
  play(s, (id, phase) => ((id * 13 + phase * 5) % 7) / 3);
  return s;
};

const tampered = (edit: (e: ScheduleExport) => void): string => {
  const e = exportSchedule(played());
  edit(e);
  return JSON.stringify(e);
};

describe('schedule export', () => {
  it('round-trips: the parsed file holds every phase kept ids and deciding scores', () => {
    const s = played();
    const parsed = parseScheduleJson(scheduleToJson(s));
    expect(parsed).toEqual(exportSchedule(s));
    expect(parsed.phases.map((p) => p.name)).toEqual(['learn', 'focus', 'review', 'focusAgain']);
    parsed.phases.forEach((p, i) => {
      expect(p.keptIds).toEqual(Array.from(s.keptIds(i)!));
      expect([p.startStep, p.endStep]).toEqual([s.phases()[i].startStep, s.phases()[i].endStep]);
    });
    const focus = parsed.phases[1].decidingScores!;
    expect(focus.decidedBy).toBe('learn');
    expect(focus.dropPercent).toBe(50);
    expect(focus.scores).toEqual(Array.from(s.cut(1)!.scores));
    expect(focus.cutValue).toBe(s.cut(1)!.cutValue);
    expect(parsed.phases[3].decidingScores!.decidedBy).toBe('review');
    expect(parsed.phases[0].decidingScores).toBeUndefined();
  });

  it("lists every step's block ids as trained and logs every visit with its loss", () => {
    const s = Schedule.lfr(countingBlocks(20), DEFAULT_LFR_SETTINGS, { batchSize: 3, seed: 8 });
    const loss = (id: number, phase: number) => ((id * 13 + phase * 5) % 7) / 3;
    const steps = play(s, loss);
    const e = exportSchedule(s);
    expect(e.steps).toEqual(steps.map((p) => [...p.ids]));
    expect(e.visits.fromStep).toBe(0);
    expect(e.visits.rows).toEqual(
      steps.flatMap((p) => [...p.ids].map((id) => [p.step, id, Math.fround(loss(id, p.phase))])),
    );
    expect(e.shuffle.seeding).toMatch(/0x85ebca6b/);
  });

  it('exports a pending cut as null kept ids, and a random baseline', () => {
    const s = Schedule.lfr(countingBlocks(20), DEFAULT_LFR_SETTINGS, { batchSize: 3, seed: 8 });
    const pending = parseScheduleJson(scheduleToJson(s));
    expect(pending.phases[1].keptIds).toBeNull();
    expect(pending.phases[3].keptIds).toBeNull();
    const base = parseScheduleJson(scheduleToJson(Schedule.baseline(s)));
    expect(base.kind).toBe('random');
    expect(base.settings).toBeNull();
    expect(base.phases[0].keptIds).toHaveLength(20);
  });

  it("checks a control arm's cuts by its own rule: the seed's random drop, the latest scores without Review", () => {
    const loss = (id: number, phase: number) => ((id * 13 + phase * 5) % 7) / 3;
    for (const arm of ['randomDrop', 'noReview'] as const) {
      const s = scheduleForArm(arm, countingBlocks(20), DEFAULT_LFR_SETTINGS, {
        batchSize: 3,
        seed: 8,
      });
      play(s, loss);
      const parsed = parseScheduleJson(scheduleToJson(s));
      expect(parsed.kind).toBe(arm);
      expect(parsed.phases[3].keptIds).toEqual(Array.from(s.keptIds(3)!));
    }
    const s = scheduleForArm('randomDrop', countingBlocks(20), DEFAULT_LFR_SETTINGS, {
      batchSize: 3,
      seed: 8,
    });
    play(s, loss);
    const e = exportSchedule(s);
    const kept = e.phases[1].keptIds!;
    const dropped = [...Array(20).keys()].find((id) => !kept.includes(id))!;
    e.phases[1].keptIds = [...kept.slice(1), dropped].sort((a, b) => a - b);
    expect(() => parseScheduleJson(JSON.stringify(e))).toThrow(
      /phases\[1\]\.keptIds are not the blocks left by the random drop of 50% that the seed gives/,
    );
    expect(() => parseScheduleJson(JSON.stringify({ ...exportSchedule(s), kind: 'lfr2' }))).toThrow(
      /kind must be one of random, lfr, randomDrop, noReview, not "lfr2"/,
    );
  });

  it('refuses a bad file with a clear message', () => {
    expect(() => parseScheduleJson('{')).toThrow(/not JSON/);
    expect(() => parseScheduleJson('[]')).toThrow(/must be a JSON object/);
    expect(() => parseScheduleJson(tampered((e) => Object.assign(e, { version: 1 })))).toThrow(
      /version must be 2, not 1/,
    );
    // Swap a kept block for a dropped one: same size, still ascending, not the cut.
    const swapped = tampered((e) => {
      const kept = e.phases[1].keptIds!;
      const dropped = [...Array(20).keys()].find((id) => !kept.includes(id))!;
      e.phases[1].keptIds = [...kept.slice(1), dropped].sort((a, b) => a - b);
    });
    expect(() => parseScheduleJson(swapped)).toThrow(
      /phases\[1\]\.keptIds are not the blocks left when the 50% lowest/,
    );
    expect(() => parseScheduleJson(tampered((e) => e.phases[0].keptIds!.push(20)))).toThrow(
      /phases\[0\]\.keptIds\[20\] = 20: ids must be whole numbers in \[0, 20\)/,
    );
    expect(() =>
      parseScheduleJson(tampered((e) => Object.assign(e.settings!, { s1: 100 }))),
    ).toThrow(/s1 is the percent of blocks a Focus drops/);
    expect(() => parseScheduleJson(tampered((e) => e.phases[2].keptIds!.pop()))).toThrow(
      /phases\[2\]\.keptIds must list all 20 blocks/,
    );
    expect(() => parseScheduleJson(tampered((e) => e.phases.pop()))).toThrow(/has 4 phases, not 3/);
    const droppedInFocus = tampered((e) => {
      const focus = e.phases[1];
      e.steps[focus.startStep][0] = [...Array(20).keys()].find(
        (id) => !focus.keptIds!.includes(id),
      )!;
    });
    expect(() => parseScheduleJson(droppedInFocus)).toThrow(
      /steps\[\d+\] must be 3 block ids kept by its phase \(focus\)/,
    );
    expect(() => parseScheduleJson(tampered((e) => e.steps.push(e.steps[0])))).toThrow(
      /steps lists \d+ steps, but the phases end at step/,
    );
    expect(() => parseScheduleJson(tampered((e) => (e.phases[2].startStep += 1)))).toThrow(
      /phases\[2\]\.startStep is/,
    );
    expect(() =>
      parseScheduleJson(tampered((e) => e.phases[3].decidingScores!.scores.pop())),
    ).toThrow(/decidingScores must hold dropPercent, cutValue and 20 scores/);
  });
});

describe('history export', () => {
  it('writes one CSV row per visited slice and the same in JSON', () => {
    const s = new BlockScores(3, { slices: 4 });
    s.record(0, 0, [0, 2], [0, 1]);
    s.record(1, 0, [2], [0]);
    expect(historiesCsv(s)).toBe(
      `block,slice,start_step,end_step,score\n0,0,0,1,1\n2,0,0,1,${Math.fround(Math.E)}\n2,1,1,2,1\n`,
    );
    expect(historiesJson(s)).toEqual({
      sliceWidth: 1,
      slices: 2,
      blocks: [
        { id: 0, visits: 1, lastScore: 1, lastStep: 0, history: [[0, 1]] },
        { id: 1, visits: 0, lastScore: null, lastStep: -1, history: [] },
        {
          id: 2,
          visits: 2,
          lastScore: 1,
          lastStep: 1,
          history: [
            [0, Math.fround(Math.E)],
            [1, 1],
          ],
        },
      ],
    });
  });

  // Mutant caught: the grid's NaN-visit marker (-Infinity) written as a score.
  it('writes a visit that scored NaN as a nan row, not as -Infinity and not left out', () => {
    const s = new BlockScores(2, { slices: 2 });
    s.record(0, 0, [0, 1], [Number.NaN, 0]);
    expect(historiesCsv(s)).toBe('block,slice,start_step,end_step,score\n0,0,0,1,nan\n1,0,0,1,1\n');
  });
});
