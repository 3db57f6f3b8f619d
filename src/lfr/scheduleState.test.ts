import { describe, expect, it } from 'vitest';
import { countingBlocks } from '../test/lfrRun';
import { Schedule, type ScheduleState } from './schedule';
import { DEFAULT_LFR_SETTINGS, LfrError } from './settings';

const blocks = countingBlocks(40);
const settings = { ...DEFAULT_LFR_SETTINGS, reps: 2 };
const options = { batchSize: 4, accumSteps: 2, seed: 7 };
const build = () => Schedule.lfr(blocks, settings, options);
// A loss that depends on the block, the phase and the step, so every cut and score is distinct.
const lossOf = (id: number, phase: number, step: number) =>
  1 + ((id * 7 + phase * 3 + step) % 11) / 10;

/** Hands out `steps` steps (or up to the end), observing each at once; the ids of each step. */
function advance(s: Schedule, steps: number): number[][] {
  const { batchSize: B, accumSteps: A } = s;
  const T = s.blocks.blockSize;
  const out: number[][] = [];
  for (let k = 0; k < steps && !s.done(); k++) {
    const step = s.stepsHanded();
    const phase = s.currentPhase().index;
    const ids = new Uint32Array(A * B);
    for (let a = 0; a < A; a++) {
      s.next(ids.subarray(a * B, (a + 1) * B), new Uint32Array(B * T), new Uint32Array(B * T));
    }
    s.observe({
      step,
      blockIds: ids,
      sequenceLosses: Float32Array.from(ids, (id) => lossOf(id, phase, step)),
    });
    out.push(Array.from(ids));
  }
  return out;
}

// Through JSON, as a checkpoint header carries it.
const roundTrip = (state: ScheduleState): ScheduleState => JSON.parse(JSON.stringify(state));

describe('Schedule save and restore', () => {
  // Mid-Learn (the first cut still to make from saved scores) and inside the first Focus.
  for (const at of [3, 8]) {
    it(`a schedule restored at step ${at} hands the same batches and makes the same cuts`, () => {
      const straight = build();
      const all = advance(straight, Number.POSITIVE_INFINITY);

      const first = build();
      advance(first, at);
      const restored = build();
      restored.restoreState(roundTrip(first.saveState()));
      expect(restored.stepsHanded()).toBe(at);
      const rest = advance(restored, Number.POSITIVE_INFINITY);

      expect(rest).toEqual(all.slice(at));
      for (const phase of [1, 3]) {
        expect(Array.from(restored.cut(phase)!.kept)).toEqual(
          Array.from(straight.cut(phase)!.kept),
        );
        expect(restored.cut(phase)!.scores).toEqual(straight.cut(phase)!.scores);
      }
      expect(restored.scores.grid()).toEqual(straight.scores.grid());
      expect(restored.scores.phaseMeans(2)).toEqual(straight.scores.phaseMeans(2));
    });
  }

  it('refuses to save with a step handed out but not observed', () => {
    const s = build();
    const ids = new Uint32Array(4);
    s.next(ids, new Uint32Array(4 * 3), new Uint32Array(4 * 3));
    expect(() => s.saveState()).toThrow(/observe every result first/);
  });

  it('refuses a state saved with other settings, and changes nothing', () => {
    const saved = build();
    advance(saved, 2);
    const other = Schedule.lfr(blocks, settings, { ...options, seed: 8 });
    expect(() => other.restoreState(saved.saveState())).toThrow(LfrError);
    expect(() => other.restoreState(saved.saveState())).toThrow(/seed 7 \(this schedule: 8\)/);
    expect(other.stepsHanded()).toBe(0);
    expect(other.scores.visits(0)).toBe(0);
  });

  it('refuses damaged scores before replacing anything', () => {
    const saved = build();
    advance(saved, 2);
    const state = saved.saveState();
    const fresh = build();
    expect(() =>
      fresh.restoreState({ ...state, scores: { ...state.scores, last: btoa('xyz') } }),
    ).toThrow(/3 bytes, not the 160/);
    expect(fresh.stepsHanded()).toBe(0);
  });
});
