import type { TokenizerName } from '../data/tokenizerTypes';
import { checkUserTextSize } from '../data/userText';
import { callback, type StudioWorker, studioWorker } from '../worker/client';
import type {
  DataChoice,
  LfrRole,
  RunProgress,
  SaveNews,
  TrainingStatus,
  TrainSettings,
} from '../worker/protocol';
import { selectAdapter } from './gpuSlice';
import { lfrFollower, resetMirror, scheduledRunErrors, scheduleFromForm } from './lfrSlice';
import { beginRecording, recordProgress, recordSample } from './replayRecording';
import { applySaveNews, parseAutosave } from './runsSlice';
import {
  type FieldKey,
  formFromPreset,
  type PresetId,
  presetOf,
  settingsFromForm,
  validateForm,
} from './settingsForm';
import { useStudio } from './store';
import { initialRun } from './trainingSlice';
import {
  applyLinkedForms,
  type Classroom,
  fixedFields,
  isFixed,
  parseSettingsUrl,
  serializeSettingsUrl,
} from './urlSettings';

/** The matmul sizes benchmarked after the checks: small enough for a CPU adapter. */
export const BENCH_SIZES = [128, 256, 512];

let worker: () => StudioWorker = studioWorker;

/** The worker the actions talk to (for the LFR actions in lfrActions.ts). */
export const currentWorker = (): StudioWorker => worker();

/** Replaces the worker (tests pass a fake; the app uses the real one). */
export function setWorkerFactory(factory: () => StudioWorker): void {
  worker = factory;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Acquires the GPU in the worker and lists the registered kernel checks. */
export async function connectGpu(): Promise<void> {
  const w = worker();
  try {
    const gpu = await w.acquire(callback((loss) => useStudio.setState({ deviceLost: loss })));
    useStudio.setState({ gpu });
    revalidate();
    useStudio.setState({ checks: await w.listChecks() });
  } catch (e) {
    useStudio.setState({ gpu: { ok: false, kind: 'other', message: message(e) } });
  }
}

/** Runs every kernel check, then the matmul benchmark; results stream into the store. */
export async function runKernelChecks(): Promise<void> {
  const { checks } = useStudio.getState();
  useStudio.setState({
    results: new Array(checks.length).fill(undefined),
    bench: [],
    phase: 'checking',
    runError: undefined,
  });
  const w = worker();
  try {
    await w.checkKernels(
      callback((index, result) => {
        const results = useStudio.getState().results.slice();
        results[index] = result;
        useStudio.setState({ results });
      }),
    );
    useStudio.setState({ phase: 'benchmarking' });
    await w.benchMatmul(
      BENCH_SIZES,
      callback((point) => useStudio.setState((s) => ({ bench: [...s.bench, point] }))),
    );
  } catch (e) {
    useStudio.setState({ runError: message(e) });
  }
  useStudio.setState({ phase: 'done' });
}

/** Destroys the worker's device (as a driver reset would); for trying the device-lost path. */
export async function loseDevice(): Promise<void> {
  await worker().loseDevice();
}

/** Re-checks the form against the adapter's limits and, once loaded, the preset's data. */
/** Every problem with the form as it stands, against the adapter and the loaded data. */
function currentSettingsErrors(): string[] {
  const s = useStudio.getState();
  const settings = settingsFromForm(s.presetId, s.form, s.tokenizer);
  const adapter = selectAdapter(s);
  const limits = adapter && {
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  };
  const summary = s.data.summary;
  const trainTokens = summary?.tokenizer === settings.tokenizer ? summary.trainTokens : undefined;
  if (s.lfrForm.schedule === 'lfr') {
    const validate = (t: TrainSettings) => validateForm(t, limits, trainTokens);
    return scheduledRunErrors(settings, s.lfrForm, validate, trainTokens);
  }
  return validateForm(settings, limits, trainTokens);
}

export function revalidate(): void {
  useStudio.setState({ settingsErrors: currentSettingsErrors() });
}

/** The data summary validated the form against; stale once the data choice changes. */
function forgetDataSummary(): void {
  useStudio.setState((s) => ({ data: { ...s.data, summary: undefined, error: undefined } }));
  revalidate();
}

/** Asks the worker for text saved by an earlier visit; a saved text is chosen again. */
export async function restoreUserData(): Promise<void> {
  try {
    const { choice, texts } = await worker().listUserData();
    // The user may have chosen or dropped something while the worker started: that wins.
    useStudio.setState((s) => ({
      dataChoice: s.dataChoice === 'user' ? 'user' : choice,
      userText: { ...s.userText, summary: s.userText.summary ?? texts[0] },
    }));
  } catch (e) {
    useStudio.setState((s) => ({ userText: { ...s.userText, error: message(e) } }));
  }
}

/** Picks the data the next run trains on. */
export async function chooseData(choice: DataChoice): Promise<void> {
  if (choice === 'user' && !useStudio.getState().userText.summary) {
    // Nothing loaded yet: show the drop zone; the worker switches once a file is loaded.
    useStudio.setState({ dataChoice: choice });
    return;
  }
  try {
    useStudio.setState({ dataChoice: await worker().useData(choice) });
    forgetDataSummary();
  } catch (e) {
    useStudio.setState((s) => ({ userText: { ...s.userText, error: message(e) } }));
  }
}

/**
 * Reads a dropped or picked file and has the worker check, tokenize and save it for the current
 * preset's tokenizer. A refused file only sets the error: the text loaded before stays.
 */
export async function loadUserFile(file: File, field: string): Promise<void> {
  const s = useStudio.getState();
  const tokenizer = settingsFromForm(s.presetId, s.form, s.tokenizer).tokenizer;
  useStudio.setState((st) => ({
    userText: {
      ...st.userText,
      error: undefined,
      loading: { fileName: file.name, progress: { documents: 0, total: 0 } },
    },
  }));
  // Progress comes over comlink's callback port, which is not ordered with the reply: a late
  // progress message must not bring the loading state back after the load ended.
  let ended = false;
  try {
    // Before reading: a huge file would be copied to the worker only to be refused there.
    checkUserTextSize(file.size, file.name);
    const bytes = new Uint8Array(await file.arrayBuffer());
    const summary = await worker().loadUserText(
      bytes,
      file.name,
      field,
      tokenizer,
      callback((progress) => {
        if (ended) return;
        useStudio.setState((st) => ({
          userText: { ...st.userText, loading: { fileName: file.name, progress } },
        }));
      }),
    );
    ended = true;
    useStudio.setState({
      dataChoice: 'user',
      userText: { summary, loading: undefined, error: undefined },
    });
    forgetDataSummary();
  } catch (e) {
    ended = true;
    useStudio.setState((st) => ({
      userText: { ...st.userText, loading: undefined, error: message(e) },
    }));
  }
}

/** Fills the form with a preset's settings, except those a classroom link fixed. */
export function selectPreset(id: PresetId): void {
  const preset = presetOf(id);
  const { form, tokenizer, classroom } = useStudio.getState();
  const next = formFromPreset(preset);
  for (const key of fixedFields(classroom)) next[key] = form[key];
  useStudio.setState({
    presetId: id,
    tokenizer: isFixed(classroom, 'tokenizer') ? tokenizer : preset.tokenizer,
    form: next,
  });
  revalidate();
}

/** Picks the tokenizer; the model's vocabulary and the data to load follow it. */
export function selectTokenizer(name: TokenizerName): void {
  useStudio.setState({ tokenizer: name });
  revalidate();
}

/** One field as typed; the messages follow on every keystroke. */
export function editSetting(key: FieldKey, value: string): void {
  useStudio.setState((s) => ({ form: { ...s.form, [key]: value } }));
  revalidate();
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
  s.history.steps.push(...p.points);
  s.history.val.push(...p.val);
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
  useStudio.setState({
    lfrRole: runRole,
    lfrVersion: s.lfrVersion + 1,
    lfrBlock: undefined,
    lfrExportError: undefined,
    run: { ...initialRun, phase: 'loading-data', maxSteps: settings.train.maxSteps },
    startError: undefined,
    startOutOfMemory: false,
    nonFinite: undefined,
    currentRunId: undefined,
    lastSave: undefined,
    saveError: undefined,
    recovery: undefined,
    imported: undefined,
    history: { steps: [], val: [] },
    historyVersion: s.historyVersion + 1,
    sample: { busy: false, prompt: '', text: undefined, error: undefined },
    data: {
      ...s.data,
      tokenizer: settings.tokenizer,
      loading: true,
      file: '',
      loaded: 0,
      total: null,
      error: undefined,
    },
  });
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

/**
 * Applies a link's settings (the page's query string) on top of its preset; the classroom's
 * lists come last, so the preset's values reach the fields they fix. Bad parts become messages.
 */
export function applySettingsUrl(query: string): void {
  const url = parseSettingsUrl(query);
  if (url.preset) selectPreset(url.preset);
  if (url.tokenizer) selectTokenizer(url.tokenizer);
  for (const [key, value] of Object.entries(url.form) as [FieldKey, string][]) {
    editSetting(key, value);
  }
  if (url.data) void chooseData(url.data);
  const s = useStudio.getState();
  useStudio.setState({
    ...applyLinkedForms(s.lfrForm, s.finetuneForm, url),
    classroom: { hidden: url.hide, locked: url.lock, messages: url.messages },
  });
  revalidate();
}

/** The query string describing the current run and classroom (or `classroom`), without "?". */
export function settingsQuery(classroom?: Classroom): string {
  const s = useStudio.getState();
  return serializeSettingsUrl({
    presetId: s.presetId,
    tokenizer: s.tokenizer,
    form: s.form,
    dataChoice: s.dataChoice,
    lfrForm: s.lfrForm,
    finetuneForm: s.finetuneForm,
    classroom: classroom ?? s.classroom,
  });
}

/**
 * Calls `write` with the new query `delayMs` after the settings last changed (typing a number
 * writes once, not per key); progress events and other state do not. Returns the unsubscribe.
 */
export function watchSettingsUrl(write: (query: string) => void, delayMs = 300): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const unsubscribe = useStudio.subscribe((s, prev) => {
    if (
      s.presetId === prev.presetId &&
      s.tokenizer === prev.tokenizer &&
      s.form === prev.form &&
      s.dataChoice === prev.dataChoice &&
      s.lfrForm === prev.lfrForm &&
      s.finetuneForm === prev.finetuneForm &&
      s.classroom === prev.classroom
    )
      return;
    clearTimeout(timer);
    timer = setTimeout(() => write(settingsQuery()), delayMs);
  });
  return () => {
    clearTimeout(timer);
    unsubscribe();
  };
}
