import { useEffect, useId, useState } from 'react';
import { REPLAY_SPEEDS, type ReplaySpeed } from '../../replay/player';
import { selectFinetuneBusy } from '../../store/finetuneSlice';
import {
  listShippedRecordings,
  openRecordingFile,
  openShippedRecording,
  type ShippedRecording,
} from '../../store/replayActions';
import { useStudio } from '../../store/store';
import { selectRunLive, selectRunStarting } from '../../store/trainingSlice';

export const SPEED_LABELS: Record<string, string> = { 1: '1x', 4: '4x', instant: 'instant' };

const parseSpeed = (v: string): ReplaySpeed => (v === 'instant' ? 'instant' : v === '4' ? 4 : 1);

/** The replay speed as a select: the recorded pace, four times it, or at once. */
export function SpeedSelect({
  value,
  onChange,
  testId,
}: {
  value: ReplaySpeed;
  onChange: (s: ReplaySpeed) => void;
  testId: string;
}) {
  const id = useId();
  return (
    <span className="field inline">
      <label htmlFor={id}>speed</label>
      <select
        id={id}
        data-testid={testId}
        value={String(value)}
        onChange={(e) => onChange(parseSpeed(e.target.value))}
      >
        {REPLAY_SPEEDS.map((s) => (
          <option key={String(s)} value={String(s)}>
            {SPEED_LABELS[String(s)]}
          </option>
        ))}
      </select>
    </span>
  );
}

/**
 * "Watch a recorded run": a shipped recording (public/recordings/) or a file written by
 * "Download recording", played into the studio's own views.
 */
export function ReplayPicker({ intro }: { intro: string }) {
  const [shipped, setShipped] = useState<ShippedRecording[]>([]);
  const [listError, setListError] = useState<string>();
  const [file, setFile] = useState('');
  const [speed, setSpeed] = useState<ReplaySpeed>(4);
  const loading = useStudio((s) => s.replayLoading);
  const error = useStudio((s) => s.replayError);
  // A live run owns the views: it must end before a replay takes them (a replay may be replaced).
  const busy = useStudio(
    (s) => !s.replay && (selectRunLive(s) || selectRunStarting(s) || selectFinetuneBusy(s)),
  );
  const ids = { choice: useId(), file: useId() };
  useEffect(() => {
    listShippedRecordings().then(
      (list) => {
        setShipped(list);
        setFile((f) => f || (list[0]?.file ?? ''));
      },
      (e: unknown) => setListError(e instanceof Error ? e.message : String(e)),
    );
  }, []);
  const chosen = shipped.find((r) => r.file === file);
  return (
    <div className="replay-picker" data-testid="replay-picker">
      <p>{intro}</p>
      <div className="toolbar">
        <span className="field inline">
          <label htmlFor={ids.choice}>recording</label>
          <select
            id={ids.choice}
            data-testid="replay-choice"
            value={file}
            onChange={(e) => setFile(e.target.value)}
          >
            {shipped.map((r) => (
              <option key={r.file} value={r.file}>
                {r.title}
              </option>
            ))}
          </select>
        </span>
        <SpeedSelect value={speed} onChange={setSpeed} testId="replay-start-speed" />
        <button
          type="button"
          data-testid="replay-watch"
          disabled={!file || loading || busy}
          onClick={() => void openShippedRecording(file, speed)}
        >
          {loading ? 'Opening…' : 'Watch'}
        </button>
      </div>
      {chosen && <p className="muted">{chosen.description}</p>}
      <div className="field">
        <label htmlFor={ids.file}>or open a recording file (from "Download recording")</label>
        <input
          id={ids.file}
          type="file"
          accept=".json,application/json"
          data-testid="replay-file"
          disabled={loading || busy}
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void openRecordingFile(f, speed);
            e.target.value = '';
          }}
        />
      </div>
      {busy && <p className="muted">A run or fine-tune is going: stop it to watch a recording.</p>}
      {(listError || error) && (
        <p className="alert" role="alert" data-testid="replay-error">
          {error ?? listError}
        </p>
      )}
    </div>
  );
}
