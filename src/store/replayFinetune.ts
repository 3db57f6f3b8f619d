// Fine-tune recordings in the page: the live fine-tune view is recorded as it changes (its
// progress, the invariance demo's steps, its samples), and a recording plays back into the same
// view through the same slice functions the live events go through.
import type { FinetuneEvent, FinetuneRecording } from '../replay/finetuneFormat';
import { finetuneRecordingToJson } from '../replay/finetuneFormat';
import { FinetuneRecorder } from '../replay/finetuneRecorder';
import {
  applyFinetuneProgress,
  type FinetuneSlice,
  initialFinetune,
  OPTIMIZER_LABEL,
} from './finetuneSlice';
import { selectAdapter } from './gpuSlice';
import { appendInvarianceStep } from './invarianceSteps';
import { type StudioState, useStudio } from './store';

let recorder: FinetuneRecorder | undefined;

// A fine-tune or the demo starts only from a base, so there is one when recording begins.
function begin(s: StudioState): FinetuneRecorder | undefined {
  const adapter = selectAdapter(s);
  const base = s.finetuneBase;
  if (!base) return undefined;
  const optimizer = s.finetuneForm.optimizer;
  recorder = new FinetuneRecorder({
    title: `LoRA fine-tune, ${optimizer === 'both' ? 'Adam and LoRA-RITE side by side' : OPTIMIZER_LABEL[optimizer]}`,
    adapter: {
      vendor: adapter?.vendor ?? '',
      architecture: adapter?.architecture ?? '',
      description: adapter?.description ?? '',
    },
    base: { ...base, busy: false },
    form: structuredClone(s.finetuneForm),
  });
  return recorder;
}

/**
 * Records the live fine-tune view from here on (a new fine-tune starts a new recording; a new
 * demo replaces the recorded demo). Returns the unsubscribe. A replay's changes are not recorded.
 */
export function watchFinetuneRecording(): () => void {
  return useStudio.subscribe((now, before) => {
    if (now.replay || before.replay) return;
    if (now.finetuneRun !== before.finetuneRun) {
      if (now.finetuneRun.phase === 'starting' && before.finetuneRun.phase !== 'starting')
        begin(now);
      recorder?.progress(now.finetuneRun, now.finetuneCurves);
    }
    if (now.invariance !== before.invariance) {
      if (now.invariance.status === 'running' && before.invariance.status !== 'running')
        (recorder ?? begin(now))?.demoStarted();
      recorder?.invariance(now.invariance.series);
    }
    const sample = now.finetuneSample;
    if (before.finetuneSample.busy && !sample.busy && sample.kind && sample.text !== undefined)
      recorder?.sample({ kind: sample.kind, text: sample.text });
  });
}

/** The recorded fine-tune as JSON text; undefined (and the error set) when there is none. */
export function finetuneRecordingJson(): string | undefined {
  if (!recorder?.playable) {
    useStudio.setState({
      finetuneRecordingError:
        'There is no fine-tune to record yet: fine-tune for at least one step, or run the demo.',
    });
    return undefined;
  }
  useStudio.setState({ finetuneRecordingError: undefined });
  return finetuneRecordingToJson(recorder.recording());
}

/** The fine-tune view with nothing shown: before a replay, and after it. */
export function clearedFinetune(): Partial<FinetuneSlice> {
  const { finetuneForm: _form, finetuneVersion: _version, ...cleared } = initialFinetune();
  return { ...cleared, finetuneVersion: useStudio.getState().finetuneVersion + 1 };
}

/** The view a replay of `r` starts from: its form and base, no curves, no demo, no sample. */
export function finetuneReplayStart(r: FinetuneRecording): Partial<FinetuneSlice> {
  return {
    ...clearedFinetune(),
    finetuneForm: structuredClone(r.form),
    finetuneBase: r.base,
    invariance: { status: 'done', series: [], error: undefined },
  };
}

/** One recorded event into the view, as the live one went. */
export function playFinetuneEvent(e: FinetuneEvent): void {
  if ('progress' in e) useStudio.setState((s) => applyFinetuneProgress(s, e.progress));
  else if ('invariance' in e)
    useStudio.setState((s) => ({
      invariance: {
        ...s.invariance,
        series: appendInvarianceStep(s.invariance.series, e.invariance),
      },
    }));
  else
    useStudio.setState({
      finetuneSample: { busy: false, kind: e.sample.kind, text: e.sample.text, error: undefined },
    });
}
