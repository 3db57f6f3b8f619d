// The training run's actions: start a run from the form, control it, sample it; and the worker
// every action talks to.
import { appendAll } from '../util/append';
import { callback, type StudioWorker, studioWorker } from '../worker/client';
import { errorMessage as message } from '../worker/errorMessage';
import type {
  LfrRole,
  RunProgress,
  SaveNews,
  TrainingStatus,
  TrainSettings,
} from '../worker/protocol';
import { lfrFollower, resetMirror, scheduleFromForm } from './lfrSlice';
import { beginRecording, recordProgress, recordSample } from './replayRecording';
import { applySaveNews, parseAutosave } from './runsSlice';
import { currentSettingsErrors, revalidate } from './settingsActions';
import { settingsFromForm } from './settingsForm';
import { useStudio } from './store';
import { freshRun, initialRun } from './trainingSlice';

let worker: () => StudioWorker = studioWorker;

/** The worker the actions talk to (for the LFR actions in lfrActions.ts). */
export const currentWorker = (): StudioWorker => worker();

/** Replaces the worker (tests pass a fake; the app uses the real one). */
export function setWorkerFactory(factory: () => StudioWorker): void {
  worker = factory;
}

// Events from an earlier run (e.g. the final one its stop sends) must not reach a newer run's charts.
let runId = 0;

/** A new run's progress listener: from now on, events of every earlier run are ignored. */
export function progressListener(role?: LfrRole): (p: RunProgress) => void {
  const id = ++runId;
  const lfr = lfrFollower(role);
  return (p) => applyProgress(id, lfr, p);
}

/** What a save of the current run did: the runs list and the save status follow it. */
export function applySave(news: SaveNews): void {
  useStudio.setState((s) => applySaveNews(s, news));
}

function applyProgress(id: number, lfr: ReturnType<typeof lfrFollower>, p: RunProgress): void {
  if (id !== runId) return;
  recordProgress(id, p);
  const news = lfr(p.lfr);
  const s = useStudio.getState();
  // In place: the history is append-only and its version tells subscribers it grew.
  appendAll(s.history.steps, p.points);
  appendAll(s.history.val, p.val);
  useStudio.setState({
    run: {
      phase: p.state,
      step: p.step,
      maxSteps: p.maxSteps,
      tokensSeen: p.tokensSeen,
      tokensPerSec: p.tokensPerSec,
      msPerStep: p.msPerStep,
      gflops: p.gflops,
      etaMs: p.etaMs,
      error: p.state === 'failed' ? (p.error ?? 'the run failed without a message') : undefined,
    },
    historyVersion: s.historyVersion + (p.points.length > 0 || p.val.length > 0 ? 1 : 0),
    lfrVersion: s.lfrVersion + (news.changed ? 1 : 0),
    lfrRole: news.role ?? s.lfrRole,
    nonFinite: p.nonFinite,
  });
}

/**
 * Fetches the preset's data (with progress), then builds and starts a run from the form: with the
 * LFR schedule when the form picks it, or in `role` (the comparison's runs). Resolves once the
 * run started (true) or was refused (false).
 */
export async function startTraining(role?: LfrRole): Promise<boolean> {
  revalidate();
  const s = useStudio.getState();
  if (s.settingsErrors.length > 0) return false;
  if (s.replay) {
    useStudio.setState({
      startError: 'A recorded run is shown: press "Back to the studio" in its banner to train.',
    });
    return false;
  }
  const runRole = role ?? (s.lfrForm.schedule === 'lfr' ? 'lfr' : undefined);
  const autosave = parseAutosave(s.autosave);
  const settings: TrainSettings = {
    ...settingsFromForm(s.presetId, s.form, s.tokenizer),
    schedule: runRole && scheduleFromForm(s.lfrForm, runRole),
    preset: s.presetId,
    autosaveEvery: autosave.ok ? autosave.every : 0,
  };
  const onProgress = progressListener(runRole);
  const id = runId;
  beginRecording(id, settings, runRole);
  const w = worker();
  if (runRole) resetMirror(runRole);
  useStudio.setState(
    freshRun(s, {
      lfrRole: runRole,
      run: { ...initialRun, phase: 'loading-data', maxSteps: settings.train.maxSteps },
      currentRunId: undefined,
      lastSave: undefined,
      saveError: undefined,
      recovery: undefined,
      imported: undefined,
      data: {
        ...s.data,
        tokenizer: settings.tokenizer,
        loading: true,
        file: '',
        loaded: 0,
        total: null,
        error: undefined,
      },
    }),
  );
  try {
    const summary = await w.loadData(
      settings.tokenizer,
      callback((p) => {
        if (id === runId) useStudio.setState((st) => ({ data: { ...st.data, ...p } }));
      }),
    );
    useStudio.setState((st) => ({ data: { ...st.data, loading: false, summary } }));
  } catch (e) {
    useStudio.setState((st) => ({
      data: { ...st.data, loading: false, error: message(e) },
      run: { ...st.run, phase: 'idle' },
    }));
    return false;
  }
  // The messages and the end of loading land in one update, so the form unlocks as they appear.
  const settingsErrors = currentSettingsErrors();
  if (settingsErrors.length > 0) {
    useStudio.setState((st) => ({ settingsErrors, run: { ...st.run, phase: 'idle' } }));
    return false;
  }
  useStudio.setState((st) => ({ settingsErrors, run: { ...st.run, phase: 'starting' } }));
  try {
    const started = await w.startTraining(settings, callback(onProgress), callback(applySave));
    if (!started.ok) {
      useStudio.setState((st) => ({
        startError: started.message,
        startOutOfMemory: started.outOfMemory === true,
        run: { ...st.run, phase: 'idle' },
      }));
      return false;
    }
    if (useStudio.getState().run.phase === 'starting') {
      useStudio.setState((st) => ({ run: { ...st.run, phase: 'running' } }));
    }
    return true;
  } catch (e) {
    useStudio.setState((st) => ({ startError: message(e), run: { ...st.run, phase: 'idle' } }));
    return false;
  }
}

async function control(verb: (w: StudioWorker) => Promise<TrainingStatus>): Promise<void> {
  try {
    const status = await verb(worker());
    useStudio.setState((s) => ({
      run: { ...s.run, phase: status.state === 'idle' ? 'idle' : status.state },
    }));
  } catch (e) {
    useStudio.setState((s) => ({ run: { ...s.run, phase: 'failed', error: message(e) } }));
  }
}

/** Stops queuing steps; the steps in flight still come back. */
export const pauseTraining = () => control((w) => w.pause());
export const resumeTraining = () => control((w) => w.resume());
/** One optimizer step while paused. */
export const stepTraining = () => control((w) => w.step());
export const stopTraining = () => control((w) => w.stop());

let samples = 0;

/** Continues `prompt` from the current model; each press draws with a new seed. */
export async function sampleText(
  prompt: string,
  options: { maxNewTokens: number; temperature: number; topK: number },
): Promise<void> {
  if (useStudio.getState().replay) {
    useStudio.setState((s) => ({
      sample: {
        ...s.sample,
        error:
          'a recording has no model in this browser to sample; the samples taken during its run appear here as it plays.',
      },
    }));
    return;
  }
  useStudio.setState((s) => ({ sample: { ...s.sample, busy: true, error: undefined } }));
  try {
    const text = await worker().sample(prompt, { ...options, seed: ++samples });
    useStudio.setState({ sample: { busy: false, prompt, text, error: undefined } });
    recordSample({ prompt, text });
  } catch (e) {
    useStudio.setState((s) => ({ sample: { ...s.sample, busy: false, error: message(e) } }));
  }
}
