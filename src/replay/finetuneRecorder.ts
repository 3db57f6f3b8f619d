// Keeps what the fine-tune view shows during a live fine-tune, so it can be downloaded as a
// recording: each progress event with the points it brought, the invariance demo's steps and the
// samples, each with when it came. It reads the view's state, so the fine-tune's own code is not
// involved: the page records what it showed.
import type { FinetuneRunView, OptimizerKind } from '../store/finetuneSlice';
import type { FinetunePoint, InvarianceSeries } from '../worker/protocol';
import { RECORDING_FORMAT } from './fields';
import {
  FINETUNE_RECORDING_VERSION,
  type FinetuneEvent,
  type FinetuneRecording,
  type RecordedFinetuneSample,
} from './finetuneFormat';

type Untimed<E> = E extends unknown ? Omit<E, 't'> : never;

export type FinetuneStart = Pick<FinetuneRecording, 'title' | 'adapter' | 'base' | 'form'>;

export class FinetuneRecorder {
  readonly events: FinetuneEvent[] = [];
  private readonly started: number;
  private readonly startedAt: string;
  /** Points and demo steps already recorded, per optimizer. */
  private readonly points: Record<OptimizerKind, number> = { adam: 0, rite: 0 };
  private readonly demoSteps: Record<OptimizerKind, number> = { adam: 0, rite: 0 };

  constructor(
    private readonly start: FinetuneStart,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
    this.startedAt = new Date().toISOString();
  }

  /** The run's state changed: a progress event, with the points the curves gained since the last. */
  progress(run: FinetuneRunView, curves: Record<OptimizerKind, readonly FinetunePoint[]>): void {
    if (run.phase === 'idle' || run.phase === 'starting') return;
    const points: FinetunePoint[] = [];
    for (const kind of ['adam', 'rite'] as const) {
      for (let i = this.points[kind]; i < curves[kind].length; i++) points.push(curves[kind][i]);
      this.points[kind] = curves[kind].length;
    }
    const { phase: state, done, steps, msPerStep, rates, nonFinite, error } = run;
    this.push({
      progress: {
        state,
        done,
        steps,
        points,
        msPerStep,
        rates,
        ...(nonFinite && { nonFinite }),
        ...(error !== undefined && { error }),
      },
    });
  }

  /** A new demo replaces the previous one's steps: a recording holds one demo. */
  demoStarted(): void {
    const kept = this.events.filter((e) => !('invariance' in e));
    this.events.splice(0, this.events.length, ...kept);
    this.demoSteps.adam = 0;
    this.demoSteps.rite = 0;
  }

  /** The demo's series now: the steps they gained since the last call. */
  invariance(series: readonly InvarianceSeries[]): void {
    for (const s of series) {
      for (let i = this.demoSteps[s.kind]; i < s.diffs.length; i++)
        this.push({ invariance: { kind: s.kind, step: i + 1, diff: s.diffs[i], cond: s.cond } });
      this.demoSteps[s.kind] = Math.max(this.demoSteps[s.kind], s.diffs.length);
    }
  }

  sample(s: RecordedFinetuneSample): void {
    this.push({ sample: s });
  }

  /** Something to replay: a fine-tune step or a demo step. */
  get playable(): boolean {
    return this.events.some((e) => !('sample' in e));
  }

  recording(): FinetuneRecording {
    return {
      format: RECORDING_FORMAT,
      version: FINETUNE_RECORDING_VERSION,
      kind: 'finetune',
      title: this.start.title,
      recordedAt: this.startedAt,
      adapter: this.start.adapter,
      base: this.start.base,
      form: this.start.form,
      events: this.events.slice(),
    };
  }

  // Whole milliseconds: finer is noise, and the file stays smaller.
  private push(e: Untimed<FinetuneEvent>): void {
    this.events.push({ t: Math.round(this.now() - this.started), ...e });
  }
}
