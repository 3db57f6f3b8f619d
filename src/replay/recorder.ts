// Keeps what the page receives during a live run, so "Download recording" can write it out: each
// progress event as received, when it came, and the samples taken. The events are kept by
// reference (the page already holds their points), so recording costs a list of pointers.
import type { BlockText, RunProgress } from '../worker/protocol';
import {
  RECORDING_FORMAT,
  RECORDING_VERSION,
  type RecordedAdapter,
  type RecordedEvent,
  type RecordedForm,
  type RecordedSample,
  type Recording,
} from './format';

export interface RunStart {
  title: string;
  adapter: RecordedAdapter;
  settings: Recording['settings'];
  form: RecordedForm;
  role: Recording['role'];
}

export class RunRecorder {
  readonly events: RecordedEvent[] = [];
  private readonly started: number;
  private readonly startedAt: string;

  constructor(
    readonly run: RunStart,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
    this.startedAt = new Date().toISOString();
  }

  progress(p: RunProgress): void {
    this.events.push({ t: this.elapsed(), progress: p });
  }

  sample(s: RecordedSample): void {
    this.events.push({ t: this.elapsed(), sample: s });
  }

  /** Progress events so far: a recording needs at least one. */
  get progressCount(): number {
    return this.events.filter((e) => e.progress).length;
  }

  recording(blockTexts: BlockText[], schedule?: string): Recording {
    const r: Recording = {
      format: RECORDING_FORMAT,
      version: RECORDING_VERSION,
      title: this.run.title,
      recordedAt: this.startedAt,
      adapter: this.run.adapter,
      settings: this.run.settings,
      form: this.run.form,
      role: this.run.role,
      events: this.events.slice(),
      blockTexts,
    };
    if (schedule !== undefined) r.schedule = schedule;
    return r;
  }

  // Whole milliseconds: finer is noise, and the file stays smaller.
  private elapsed(): number {
    return Math.round(this.now() - this.started);
  }
}
