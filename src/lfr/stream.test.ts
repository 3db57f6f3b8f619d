import { describe, expect, it } from 'vitest';
import { countingBlocks } from '../test/lfrRun';
import { droppedForgottenAtReview } from './forgetting';
import { type ObservedStep, Schedule } from './schedule';
import { DEFAULT_LFR_SETTINGS } from './settings';
import { ScheduleMirror, ScheduleOutbox } from './stream';

const lossOf = (id: number, step: number) => 1 + ((id * 7 + step * 3) % 11) / 5;

// Plays the first `steps` steps of a schedule, observing each at once.
function playSteps(schedule: Schedule, steps: number) {
  const B = schedule.batchSize;
  const T = schedule.blocks.blockSize;
  for (let step = 0; step < steps; step++) {
    const ids = new Uint32Array(B);
    schedule.next(ids, new Uint32Array(B * T), new Uint32Array(B * T));
    schedule.observe({
      step,
      blockIds: ids,
      sequenceLosses: Float32Array.from(ids, (id) => lossOf(id, step)),
    });
  }
}

// Plays a schedule (from step `from`) as the session does, taking an event every `every` steps into a mirror.
function playMirrored(schedule: Schedule, every: number, from = 0) {
  const outbox = new ScheduleOutbox(schedule);
  const B = schedule.batchSize;
  const T = schedule.blocks.blockSize;
  const inputs = new Uint32Array(B * T);
  const targets = new Uint32Array(B * T);
  let mirror: ScheduleMirror | undefined;
  const events = [];
  // A restored session reports at once, before its first step.
  if (from > 0) events.push(outbox.take());
  for (let step = from; !schedule.done(); step++) {
    const ids = new Uint32Array(B);
    schedule.next(ids, inputs, targets);
    // A deterministic loss per (block, step): scores move, some up, some down.
    const r: ObservedStep = {
      step,
      blockIds: ids,
      sequenceLosses: Float32Array.from(ids, (id) => lossOf(id, step)),
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

  // Mutant caught: the outbox sending observations as they arrive (a late step then overwrites
  // a later visit's score in the mirror's history and last scores).
  it('sends late results in step order, so the mirror keeps the same history as the schedule', () => {
    const s = Schedule.lfr(countingBlocks(24), DEFAULT_LFR_SETTINGS, { batchSize: 4, seed: 9 });
    const outbox = new ScheduleOutbox(s);
    const B = 4;
    const inputs = new Uint32Array(B * 3);
    const targets = new Uint32Array(B * 3);
    const events = [];
    let held: ObservedStep | undefined;
    for (let step = 0; !s.done(); step++) {
      if (s.needsObservation() && held) {
        s.observe(held);
        outbox.observed(held);
        held = undefined;
      }
      const ids = new Uint32Array(B);
      s.next(ids, inputs, targets);
      const r = {
        step,
        blockIds: ids,
        sequenceLosses: Float32Array.from(ids, (id) => 1 + ((id * 5 + step) % 7) / 3),
      };
      // Every even step's result comes back after the next step's.
      if (step % 2 === 0 && !held) {
        held = r;
      } else {
        s.observe(r);
        outbox.observed(r);
        if (held) {
          s.observe(held);
          outbox.observed(held);
          held = undefined;
        }
      }
      events.push(outbox.take());
    }
    if (held) {
      s.observe(held);
      outbox.observed(held);
    }
    events.push(outbox.take());
    const steps = events.flatMap((e) => e.observations.map((o) => o.step));
    expect(steps).toEqual(Array.from({ length: s.totalSteps() }, (_, i) => i));
    const mirror = new ScheduleMirror(events[0].plan!);
    for (const e of events) mirror.apply(e);
    expect(mirror.scores.grid().data).toEqual(s.scores.grid().data);
    expect(mirror.steps).toBe(s.totalSteps());
  });

  // Mutant caught: no snapshot with the plan (the resumed run's views start empty).
  it("gives a restored schedule's earlier record with its plan, so the views show the whole run", () => {
    const settings = DEFAULT_LFR_SETTINGS;
    const full = Schedule.lfr(countingBlocks(30), settings, { batchSize: 4, seed: 2 });
    const { mirror: whole } = playMirrored(full, 2);
    const first = Schedule.lfr(countingBlocks(30), settings, { batchSize: 4, seed: 2 });
    playSteps(first, 11);
    const resumed = Schedule.lfr(countingBlocks(30), settings, { batchSize: 4, seed: 2 });
    resumed.restoreState(first.saveState());
    const { mirror, events } = playMirrored(resumed, 2, 11);
    expect(events[0].snapshot?.steps).toBe(11);
    expect(events.slice(1).every((e) => e.snapshot === undefined)).toBe(true);
    expect(mirror.scores.grid().data).toEqual(whole.scores.grid().data);
    expect(mirror.decisions().map((c) => c.kept)).toEqual(whole.decisions().map((c) => c.kept));
    expect(mirror.steps).toBe(full.totalSteps());
    // A fresh run sends no snapshot.
    const fresh = Schedule.lfr(countingBlocks(30), settings, { batchSize: 4, seed: 2 });
    expect(playMirrored(fresh, 2).events[0].snapshot).toBeUndefined();
  });
});
