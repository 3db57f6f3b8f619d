import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from './format';
import { type Clock, type PlayerState, ReplayPlayer, type ReplaySpeed } from './player';

/** A clock that moves only when the test advances it, firing due timers in order. */
class FakeClock implements Clock {
  time = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private ids = 0;
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    this.timers.set(++this.ids, { at: this.time + ms, fn });
    return this.ids;
  };
  clearTimeout = (h: unknown) => {
    this.timers.delete(h as number);
  };
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
  }
}

const sample = (t: number): RecordedEvent => ({ t, sample: { prompt: '', text: `at ${t}` } });
const EVENTS = [sample(0), sample(100), sample(250), sample(1000)];

function setup(speed: ReplaySpeed) {
  const clock = new FakeClock();
  const got: number[] = [];
  const states: PlayerState[] = [];
  const player = new ReplayPlayer(
    EVENTS,
    (e) => got.push(e.t),
    speed,
    (s) => states.push(s),
    clock,
  );
  return { clock, got, states, player };
}

describe('ReplayPlayer', () => {
  it('delivers each event at its recorded time at 1x', () => {
    const { clock, got, player } = setup(1);
    player.play();
    expect(got).toEqual([0]);
    clock.advance(99);
    expect(got).toEqual([0]);
    clock.advance(1);
    expect(got).toEqual([0, 100]);
    clock.advance(900);
    expect(got).toEqual([0, 100, 250, 1000]);
    expect(player.state).toBe('done');
  });

  it('runs four times faster at 4x', () => {
    const { clock, got, player } = setup(4);
    player.play();
    clock.advance(62);
    expect(got).toEqual([0, 100]);
    clock.advance(188);
    expect(got).toEqual([0, 100, 250, 1000]);
  });

  it('delivers everything at once at instant speed, in order', () => {
    const { got, player, states } = setup('instant');
    player.play();
    expect(got).toEqual([0, 100, 250, 1000]);
    expect(states.at(-1)).toBe('done');
  });

  it('pauses without losing its place, and a new speed applies from where it is', () => {
    const { clock, got, player } = setup(1);
    player.play();
    clock.advance(150);
    player.pause();
    clock.advance(5000);
    expect(got).toEqual([0, 100]);
    player.play();
    clock.advance(99);
    expect(got).toEqual([0, 100]);
    clock.advance(1);
    expect(got).toEqual([0, 100, 250]);
    player.setSpeed(4);
    clock.advance(187);
    expect(got).toEqual([0, 100, 250]);
    clock.advance(1);
    expect(got).toEqual([0, 100, 250, 1000]);
  });

  it('delivers nothing after stop', () => {
    const { clock, got, player } = setup(1);
    player.play();
    player.stop();
    clock.advance(2000);
    expect(got).toEqual([0]);
    expect(player.state).toBe('done');
  });
});
