import { resumeTraining } from '../../store/actions';
import {
  applySmallerPreset,
  continueAfterRecovery,
  restartAfterCrash,
} from '../../store/runsActions';
import { isMemoryMessage, smallerPreset } from '../../store/runsSlice';
import { useStudio } from '../../store/store';

function Recovery() {
  const recovery = useStudio((s) => s.recovery);
  if (!recovery) return null;
  if (recovery.phase === 'recovering') {
    return (
      <div className="alert" role="alert" data-testid="recovery" data-phase="recovering">
        <strong>The GPU device was lost at step {recovery.lostAtStep}.</strong> Acquiring the GPU
        again and reloading the run's last checkpoint…
      </div>
    );
  }
  if (recovery.phase === 'failed') {
    return (
      <div className="alert" role="alert" data-testid="recovery" data-phase="failed">
        <strong>The GPU device was lost, and the run could not be recovered.</strong>{' '}
        {recovery.message} Reload the page, then resume the run from the list of runs.
      </div>
    );
  }
  if (recovery.restoredStep === null) {
    return (
      <div className="alert" role="alert" data-testid="recovery" data-phase="ready">
        <strong>The GPU device was lost at step {recovery.lostAtStep}.</strong> The GPU is back, but
        the run had no checkpoint yet, so its {recovery.lostAtStep} steps are lost: press Train to
        start again (set autosave to keep a run safe).
      </div>
    );
  }
  const lost = Math.max(0, recovery.lostAtStep - recovery.restoredStep);
  return (
    <div
      className="alert"
      role="alert"
      data-testid="recovery"
      data-phase="ready"
      data-restored-step={recovery.restoredStep}
      data-lost-steps={lost}
    >
      <strong>The GPU device was lost at step {recovery.lostAtStep}.</strong> The GPU is back and
      the run is reloaded from its last checkpoint, at step {recovery.restoredStep}:{' '}
      {lost === 1 ? '1 step was' : `${lost} steps were`} lost.{' '}
      <button
        type="button"
        data-testid="recovery-continue"
        onClick={() => void continueAfterRecovery()}
      >
        Continue
      </button>
    </div>
  );
}

function WorkerCrash() {
  const crash = useStudio((s) => s.workerCrash);
  const saved = useStudio((s) => s.currentRunId !== undefined);
  if (!crash) return null;
  return (
    <div className="alert" role="alert" data-testid="worker-crash">
      <strong>The studio's worker crashed</strong> ({crash}). The GPU work stopped with it.{' '}
      <button type="button" data-testid="worker-restart" onClick={() => void restartAfterCrash()}>
        {saved ? 'Resume from the last checkpoint' : 'Restart the worker'}
      </button>
    </div>
  );
}

function NonFinite() {
  const pause = useStudio((s) => s.nonFinite);
  const paused = useStudio((s) => s.run.phase === 'paused');
  if (!pause) return null;
  const t = pause.tensor;
  return (
    <div className="alert" role="alert" data-testid="non-finite" data-step={pause.step}>
      <strong>
        The loss became {String(pause.loss)} at step {pause.step}; the run paused.
      </strong>{' '}
      {t
        ? `The first non-finite tensor is the ${t.kind} ${t.tensor} (value ${String(t.value)} at index ${t.index}).`
        : 'Every parameter, activation and gradient read back is finite again.'}{' '}
      Lower the learning rate (or set a gradient clip) and train again, or resume a run saved before
      step {pause.step} from the list.
      {paused && (
        <>
          {' '}
          <button type="button" onClick={() => void resumeTraining()}>
            Resume anyway
          </button>
        </>
      )}
    </div>
  );
}

function SmallerPreset() {
  const oom = useStudio((s) => s.startOutOfMemory || s.settingsErrors.some(isMemoryMessage));
  const smaller = useStudio((s) => smallerPreset(s.presetId));
  if (!oom) return null;
  return (
    <div className="alert" role="alert" data-testid="out-of-memory">
      <strong>This run does not fit in this GPU's memory.</strong>{' '}
      {smaller ? (
        <button type="button" data-testid="use-smaller-preset" onClick={applySmallerPreset}>
          Use the {smaller} preset
        </button>
      ) : (
        'Lower the batch size, block_size or n_embd.'
      )}
    </div>
  );
}

/** What went wrong with the run and the way back: device loss, worker crash, NaN, memory. */
export function FailureNotices() {
  return (
    <>
      <Recovery />
      <WorkerCrash />
      <NonFinite />
      <SmallerPreset />
    </>
  );
}
