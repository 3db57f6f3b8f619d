import './replay.css';
import {
  leaveReplay,
  pauseReplay,
  restartReplay,
  resumeReplay,
  setReplaySpeed,
} from '../../store/replayActions';
import { selectReplay } from '../../store/replaySlice';
import { useStudio } from '../../store/store';
import { SpeedSelect } from './ReplayControls';

/**
 * Across the top of the studio while a recording is shown: says it is not live training, where
 * and when it was recorded, how far it has played, and lets the user pace or leave it.
 */
export function ReplayBanner() {
  const replay = useStudio(selectReplay);
  if (!replay) return null;
  const { adapter } = replay;
  const gpu =
    [adapter.vendor, adapter.architecture].filter(Boolean).join(' / ') || 'an unnamed GPU';
  return (
    <section
      className="replay-banner"
      data-testid="replay-banner"
      data-status={replay.status}
      aria-labelledby="replay-banner-title"
    >
      <h2 id="replay-banner-title" data-testid="recording-label">
        Recording — not live training
      </h2>
      <p>
        <strong>{replay.title}</strong>, recorded {replay.recordedAt.slice(0, 10)} on {gpu}
        {adapter.description && ` (${adapter.description})`}. Every chart and view below shows this
        recording; nothing trains.{' '}
        <span data-testid="replay-progress" data-played={replay.played} data-total={replay.total}>
          {replay.status === 'done'
            ? 'Played to the end.'
            : `Event ${replay.played} of ${replay.total}.`}
        </span>
      </p>
      <div className="toolbar">
        <SpeedSelect value={replay.speed} onChange={setReplaySpeed} testId="replay-speed" />
        {replay.status === 'playing' && (
          <button type="button" data-testid="replay-pause" onClick={pauseReplay}>
            Pause
          </button>
        )}
        {replay.status === 'paused' && (
          <button type="button" data-testid="replay-resume" onClick={resumeReplay}>
            Resume
          </button>
        )}
        <button type="button" data-testid="replay-restart" onClick={restartReplay}>
          Play again
        </button>
        <button type="button" data-testid="replay-leave" onClick={leaveReplay}>
          Back to the studio
        </button>
      </div>
    </section>
  );
}
