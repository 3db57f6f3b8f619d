import { recordingJson } from '../../store/replayActions';
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
