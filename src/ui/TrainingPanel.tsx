import {
  pauseTraining,
  resumeTraining,
  startTraining,
  stepTraining,
  stopTraining,
} from '../store/actions';
import { selectGpuReady, selectGpuStatus } from '../store/gpuSlice';
import { selectReplaying } from '../store/replaySlice';
import { useStudio } from '../store/store';
import {
  selectData,
  selectHistoryVersion,
  selectRun,
  selectRunLive,
  selectRunStarting,
  selectSettingsErrors,
  selectStartError,
} from '../store/trainingSlice';
import { DataSection } from './DataSection';
import { formatBytes, formatCount, formatDuration } from './format';
import { LfrSection } from './lfr/LfrSection';
import { FailureNotices } from './runs/FailureNotices';
import { RunsPanel } from './runs/RunsPanel';
import { SamplePanel } from './SamplePanel';
import { SettingsPanel } from './SettingsPanel';
import { TrainingCharts } from './TrainingCharts';

const PHASE_TEXT = {
  idle: 'not started',
  'loading-data': 'loading data',
  starting: 'building the model on the GPU',
  ready: 'ready',
  running: 'training',
  paused: 'paused',
  done: 'done',
  stopped: 'stopped',
  failed: 'failed',
};

function DataProgressView() {
  const data = useStudio(selectData);
  if (data.error) {
    return (
      <div className="alert" role="alert" data-testid="data-error">
        <strong>The training data could not be loaded.</strong> {data.error}
      </div>
    );
  }
  if (!data.loading && !data.summary) return null;
  if (!data.loading && data.summary) {
    const s = data.summary;
    return (
      <p className="muted" data-testid="data-summary">
        Data: {s.name}, {formatCount(s.trainTokens)} training and {formatCount(s.valTokens)}{' '}
        validation tokens ({s.tokenizer} tokenizer).
      </p>
    );
  }
  return (
    <p className="progress" data-testid="data-loading">
      <progress
        data-testid="data-progress"
        value={data.loaded}
        max={data.total ?? Math.max(1, data.loaded)}
      />{' '}
      {data.file
        ? `${data.file}: ${formatBytes(data.loaded)}${data.total === null ? '' : ` of ${formatBytes(data.total)}`}`
        : 'loading the tokenizer and data…'}
    </p>
  );
}

function Controls() {
  const run = useStudio(selectRun);
  const live = useStudio(selectRunLive);
  const starting = useStudio(selectRunStarting);
  const ready = useStudio(selectGpuReady);
  const invalid = useStudio(selectSettingsErrors).length > 0;
  const gpu = useStudio(selectGpuStatus);
  const replaying = useStudio(selectReplaying);
  // A recording is shown: nothing to train, pause or stop, and the label says so.
  if (replaying) {
    return (
      <div className="toolbar controls">
        <span className="recording-badge" data-testid="recording-badge">
          Recording
        </span>
        <span className="phase" data-testid="run-phase" data-phase={run.phase}>
          {PHASE_TEXT[run.phase]}
        </span>
        <span className="muted">Training controls are off while a recorded run is shown.</span>
      </div>
    );
  }
  return (
    <div className="toolbar controls">
      <button
        type="button"
        data-testid="train-button"
        disabled={!ready || invalid || live || starting}
        onClick={() => void startTraining()}
      >
        Train
      </button>
      <button
        type="button"
        data-testid="pause-button"
        disabled={run.phase !== 'running'}
        onClick={() => void pauseTraining()}
      >
        Pause
      </button>
      <button
        type="button"
        data-testid="resume-button"
        disabled={run.phase !== 'paused'}
        onClick={() => void resumeTraining()}
      >
        Resume
      </button>
      <button
        type="button"
        data-testid="step-button"
        title="One optimizer step while paused"
        disabled={run.phase !== 'paused' || run.step >= run.maxSteps}
        onClick={() => void stepTraining()}
      >
        Step
      </button>
      <button
        type="button"
        data-testid="stop-button"
        disabled={!live}
        onClick={() => void stopTraining()}
      >
        Stop
      </button>
      <span className="phase" data-testid="run-phase" data-phase={run.phase}>
        {PHASE_TEXT[run.phase]}
      </span>
      {!ready && (
        <span className="muted">
          {gpu === undefined ? 'Waiting for the GPU…' : 'No usable GPU: see "Your GPU" below.'}
        </span>
      )}
      {ready && invalid && <span className="muted">Fix the settings to train.</span>}
    </div>
  );
}

function RunProgress() {
  const run = useStudio(selectRun);
  if (run.maxSteps === 0 || run.phase === 'loading-data') return null;
  const timeLeft = run.phase === 'running' && run.step > 0 ? formatDuration(run.etaMs) : '';
  return (
    <p className="progress" data-testid="run-progress">
      <progress value={run.step} max={run.maxSteps} />{' '}
      <span data-testid="run-steps" data-step={run.step} data-max={run.maxSteps}>
        step {run.step} / {run.maxSteps}
      </span>
      {timeLeft && <span data-testid="time-left">about {timeLeft} left</span>}
    </p>
  );
}

function Throughput() {
  const run = useStudio(selectRun);
  if (run.step === 0) return null;
  return (
    <dl className="throughput" data-testid="throughput">
      <dt>tokens/s</dt>
      <dd data-testid="tokens-per-sec" data-value={run.tokensPerSec}>
        {formatCount(run.tokensPerSec)}
      </dd>
      <dt>ms/step</dt>
      <dd data-testid="ms-per-step">{run.msPerStep.toFixed(0)}</dd>
      <dt title="Model FLOPs per second achieved: 6N + 12 L T C per token (nanoGPT's estimate)">
        GFLOP/s
      </dt>
      <dd data-testid="gflops">{run.gflops.toFixed(2)}</dd>
      <dt>tokens seen</dt>
      <dd data-testid="tokens-seen">{formatCount(run.tokensSeen)}</dd>
    </dl>
  );
}

/** First and last training loss, and the latest validation loss, as text and for tests. */
function LossReadout() {
  useStudio(selectHistoryVersion);
  const { steps, val } = useStudio((s) => s.history);
  if (steps.length === 0) return null;
  const first = steps[0];
  const last = steps[steps.length - 1];
  const lastVal = val[val.length - 1];
  return (
    <p
      className="loss-readout"
      data-testid="loss-readout"
      data-first-loss={first.loss}
      data-last-loss={last.loss}
      data-steps={steps.length}
      data-val-points={val.length}
    >
      train loss {first.loss.toFixed(3)} at step {first.step} → {last.loss.toFixed(3)} at step{' '}
      {last.step}
      {lastVal &&
        `; validation loss ${lastVal.loss.toFixed(3)} (perplexity ${lastVal.perplexity.toFixed(1)}) at step ${lastVal.step}`}
    </p>
  );
}

function RunErrors() {
  const startError = useStudio(selectStartError);
  const run = useStudio(selectRun);
  return (
    <>
      {startError && (
        <div className="alert" role="alert" data-testid="start-error">
          <strong>The run could not start.</strong>
          {'\n'}
          {startError}
        </div>
      )}
      {run.error && (
        <div className="alert" role="alert" data-testid="run-error-training">
          <strong>The run failed at step {run.step}.</strong> {run.error}
          {'\n'}The trained model so far can still be sampled; press Train to start again (after a
          device loss, reload the page).
        </div>
      )}
    </>
  );
}

export function TrainingPanel() {
  // Only the phase: the readouts below subscribe to what they show, so a progress event
  // re-renders them and not the settings form.
  const phase = useStudio((s) => s.run.phase);
  return (
    <section
      className="panel training"
      aria-labelledby="training-title"
      data-testid="training-panel"
      data-phase={phase}
    >
      <h2 id="training-title">Train a GPT</h2>
      <p className="muted">
        Pick a preset, adjust it if you like, and press Train: the model trains in a worker on your
        GPU on a slice of OpenWebText or on a text file of yours, and the charts follow it live.
      </p>
      <div className="training-grid">
        <SettingsPanel />
        <div className="run" data-testid="training-run">
          <DataSection />
          <Controls />
          <DataProgressView />
          <RunErrors />
          <FailureNotices />
          <RunProgress />
          <LossReadout />
          <Throughput />
          <TrainingCharts />
          <LfrSection />
          <SamplePanel />
          <RunsPanel />
        </div>
      </div>
    </section>
  );
}
