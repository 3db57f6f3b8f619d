import { describe, expect, it } from 'vitest';
import { countingBlocks } from '../test/lfrRun';
import { droppedForgottenAtReview } from './forgetting';
import { type ObservedStep, Schedule } from './schedule';
import { DEFAULT_LFR_SETTINGS } from './settings';
import { ScheduleMirror, ScheduleOutbox } from './stream';

// Plays a schedule as the session does, taking an event every `every` steps into a mirror.
function playMirrored(schedule: Schedule, every: number) {
  const outbox = new ScheduleOutbox(schedule);
  const B = schedule.batchSize;
  const T = schedule.blocks.blockSize;
  const inputs = new Uint32Array(B * T);
  const targets = new Uint32Array(B * T);
  let mirror: ScheduleMirror | undefined;
  const events = [];
  for (let step = 0; !schedule.done(); step++) {
    const ids = new Uint32Array(B);
    schedule.next(ids, inputs, targets);
    // A deterministic loss per (block, step): scores move, some up, some down.
    const r: ObservedStep = {
      step,
      blockIds: ids,
      sequenceLosses: Float32Array.from(ids, (id) => 1 + ((id * 7 + step * 3) % 11) / 5),
    };
    schedule.observe(r);
    outbox.observed(r);
    if (step % every === 0 || schedule.done()) events.push(outbox.take());
  }
  for (const e of events) {
    mirror ??= new ScheduleMirror(e.plan!);
    mirror.apply(e);
  }
  return { mirror: mirror!, events };
}

describe('ScheduleOutbox and ScheduleMirror', () => {
  it('the mirror ends with the same scores, cuts and dropped-forgotten blocks as the schedule', () => {
    const s = Schedule.lfr(countingBlocks(30), DEFAULT_LFR_SETTINGS, { batchSize: 4, seed: 2 });
    const { mirror, events } = playMirrored(s, 3);
    expect(events[0].plan?.totalSteps).toBe(s.totalSteps());
    expect(events.slice(1).every((e) => e.plan === undefined)).toBe(true);
    expect(mirror.scores.grid().data).toEqual(s.scores.grid().data);
    expect(mirror.scores.sliceWidth).toBe(s.scores.sliceWidth);
    for (const phase of [1, 3]) {
      expect(mirror.cut(phase)?.kept).toEqual(s.cut(phase)?.kept);
      expect(mirror.cut(phase)?.cutValue).toBe(s.cut(phase)?.cutValue);
    }
    expect(droppedForgottenAtReview(mirror)).toEqual(droppedForgottenAtReview(s));
    expect(mirror.tokensUsed).toBe(s.tokensPlanned());
    expect(mirror.currentPhase()).toBe(3);
  });

  it('sends each cut once, in the first event after it is made', () => {
    const s = Schedule.lfr(countingBlocks(30), DEFAULT_LFR_SETTINGS, { batchSize: 4, seed: 2 });
    const { events } = playMirrored(s, 1);
    const sent = events.flatMap((e) => e.cuts.map((c) => c.phase));
    expect(sent).toEqual([1, 3]);
    const learnEnd = s.phases()[0].endStep;
    // The cut of the first Focus is decided by the last Learn step's observation (step learnEnd - 1).
    expect(events[learnEnd - 1].cuts.map((c) => c.phase)).toEqual([1]);
  });
});
