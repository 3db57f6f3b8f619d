// The live run's recorder: the training actions tell it what the page received (each progress
// event and sample), so a run can be downloaded as a recording once it ended.
import { ARM_LABELS } from '../lfr/arms';
import type { RecordedSample } from '../replay/format';
import { RunRecorder } from '../replay/recorder';
import type { LfrRole, RunProgress, TrainSettings } from '../worker/protocol';
import { selectAdapter } from './gpuSlice';
import { useStudio } from './store';

let recorder: RunRecorder | undefined;
// The run it records: events of other runs (and of replays) are not its own.
let recordedRun = -1;

/** The current run's recorder; undefined before any run. */
export const currentRecorder = (): RunRecorder | undefined => recorder;

/** A run starts: record it from here on (the previous run's recording is dropped). */
export function beginRecording(
  runId: number,
  settings: TrainSettings,
  role: LfrRole | undefined,
): void {
  recordedRun = runId;
  const s = useStudio.getState();
  const adapter = selectAdapter(s);
  recorder = new RunRecorder({
    title: `${s.presetId}${role ? ` ${ARM_LABELS[role]}` : ''} run`,
    adapter: {
      vendor: adapter?.vendor ?? '',
      architecture: adapter?.architecture ?? '',
      description: adapter?.description ?? '',
    },
    settings,
    form: {
      presetId: s.presetId,
      tokenizer: s.tokenizer,
      values: { ...s.form },
      ...(role && { lfr: { ...s.lfrForm.values } }),
    },
    role: role ?? null,
  });
}

export function recordProgress(runId: number, p: RunProgress): void {
  if (runId === recordedRun) recorder?.progress(p);
}

export function recordSample(sample: RecordedSample): void {
  recorder?.sample(sample);
}
