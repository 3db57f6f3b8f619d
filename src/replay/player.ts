// Plays a recording's events back at their recorded times (scaled by a speed), or all at once.
// Plain TypeScript: the sink decides what an event does (the store feeds its actions), and the
// clock is injectable so tests step through time without waiting.

/** How fast a replay runs: the recorded pace, four times it, or every event at once. */
export type ReplaySpeed = 1 | 4 | 'instant';
export const REPLAY_SPEEDS: readonly ReplaySpeed[] = [1, 4, 'instant'];

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export type PlayerState = 'playing' | 'paused' | 'done';

/** A recorded event: anything that says when (ms after the start) it came. */
export interface Timed {
  t: number;
}

export class ReplayPlayer<E extends Timed = Timed> {
  private next = 0;
  private timer: unknown;
  /** Recorded time reached; it moves with the clock while playing. */
  private position = 0;
  /** Clock reading when `position` was last set while playing. */
  private anchor = 0;
  state: PlayerState = 'paused';

  constructor(
    private readonly events: readonly E[],
    private readonly sink: (e: E) => void,
    private speed: ReplaySpeed,
    private readonly onState: (state: PlayerState, played: number) => void = () => {},
    private readonly clock: Clock = realClock,
  ) {}

  /** Events played so far. */
  get played(): number {
    return this.next;
  }

  play(): void {
    if (this.state !== 'paused') return;
    this.state = 'playing';
    this.anchor = this.clock.now();
    this.schedule();
  }

  pause(): void {
    if (this.state !== 'playing') return;
    this.position = this.recordedNow();
    this.clock.clearTimeout(this.timer);
    this.setState('paused');
  }

  /** A new speed applies from the current position on. */
  setSpeed(speed: ReplaySpeed): void {
    if (this.state === 'playing') {
      this.position = this.recordedNow();
      this.anchor = this.clock.now();
    }
    this.speed = speed;
    if (this.state === 'playing') {
      this.clock.clearTimeout(this.timer);
      this.schedule();
    }
  }

  /** Stops for good; no event is delivered after this. */
  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.next = this.events.length;
    this.state = 'done';
  }

  private recordedNow(): number {
    if (this.speed === 'instant') return Number.POSITIVE_INFINITY;
    return this.position + (this.clock.now() - this.anchor) * this.speed;
  }

  private setState(state: PlayerState): void {
    this.state = state;
    this.onState(state, this.next);
  }

  // Delivers every event due by now, then waits for the next one.
  private schedule(): void {
    const now = this.recordedNow();
    const due = this.next;
    while (this.next < this.events.length && this.events[this.next].t <= now) {
      this.sink(this.events[this.next++]);
      if (this.state !== 'playing') return;
    }
    if (this.next >= this.events.length) {
      this.position = this.events.length > 0 ? this.events[this.events.length - 1].t : 0;
      this.setState('done');
      return;
    }
    if (this.next > due) this.onState(this.state, this.next);
    const wait = (this.events[this.next].t - now) / (this.speed === 'instant' ? 1 : this.speed);
    this.timer = this.clock.setTimeout(() => this.schedule(), Math.max(0, wait));
  }
}
