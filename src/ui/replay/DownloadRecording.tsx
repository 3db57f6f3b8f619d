import { recordingJson } from '../../store/replayActions';
import { finetuneRecordingJson } from '../../store/replayFinetune';
import { selectReplaying } from '../../store/replaySlice';
import { useStudio } from '../../store/store';
import { downloadText } from '../lfr/download';

async function save(): Promise<void> {
  const text = await recordingJson();
  if (text === undefined) return;
  const s = useStudio.getState();
  const kind = s.lfrRole ? `-${s.lfrRole}` : '';
  downloadText(`recording-${s.presetId}${kind}-${s.run.step}-steps.json`, text, 'application/json');
}

/** "Download recording": the ended run as a file any studio can replay, even without WebGPU. */
export function DownloadRecording() {
  const ended = useStudio(
    (s) => s.run.phase === 'done' || s.run.phase === 'stopped' || s.run.phase === 'failed',
  );
  const replaying = useStudio(selectReplaying);
  const error = useStudio((s) => s.recordingError);
  if (replaying) return null;
  return (
    <>
      <button
        type="button"
        data-testid="download-recording"
        disabled={!ended}
        title="Every progress event of the run, its settings, samples and block texts, to replay later"
        onClick={() => void save()}
      >
        Download recording
      </button>
      {error && (
        <span className="alert" role="alert" data-testid="recording-error">
          {error}
        </span>
      )}
    </>
  );
}

/**
 * "Download fine-tune recording": the fine-tune view's run (both curves, the demo's series, the
 * samples) as a file any studio replays, even without WebGPU. Off while the GPU is busy with it.
 */
export function DownloadFinetuneRecording({ busy }: { busy: boolean }) {
  const error = useStudio((s) => s.finetuneRecordingError);
  return (
    <>
      <button
        type="button"
        className="secondary"
        data-testid="download-finetune-recording"
        disabled={busy}
        title="Both optimizers' losses, the learning rates, the invariance demo's steps and the samples, to replay later"
        onClick={() => {
          const text = finetuneRecordingJson();
          if (text !== undefined)
            downloadText(
              `recording-finetune-${useStudio.getState().finetuneRun.steps}-steps.json`,
              text,
              'application/json',
            );
        }}
      >
        Download fine-tune recording
      </button>
      {error && (
        <span className="alert" role="alert" data-testid="finetune-recording-error">
          {error}
        </span>
      )}
    </>
  );
}
