import { PRESETS } from '../model/config';
import type {
  DataSummary,
  SessionState,
  StepPoint,
  TokenizerName,
  ValPoint,
} from '../worker/protocol';
import type { LfrSlice } from './lfrSlice';
import type { RunsSlice } from './runsSlice';
import { formFromPreset, type PresetId, type SettingsForm } from './settingsForm';
import { type Classroom, NO_CLASSROOM } from './urlSettings';

/** A run from the page's side: fetching data and building it come before the session's states. */
export type RunPhase = 'idle' | 'loading-data' | 'starting' | SessionState;

export interface DataState {
  tokenizer: TokenizerName | undefined;
  loading: boolean;
  file: string;
  loaded: number;
  total: number | null;
  summary: DataSummary | undefined;
  error: string | undefined;
}

export interface RunStats {
  phase: RunPhase;
  step: number;
  maxSteps: number;
  tokensSeen: number;
  tokensPerSec: number;
  msPerStep: number;
  gflops: number;
  etaMs: number;
  /** Why the run itself failed (after it started). */
  error: string | undefined;
}

/**
 * Append-only: progress events push into these arrays in place, and `historyVersion` moves on
 * so subscribers re-render. A new run gets new arrays; nothing copies the history per event.
 */
export interface History {
  steps: StepPoint[];
  val: ValPoint[];
}

export interface SampleState {
  busy: boolean;
  /** The prompt of the text shown, and the model's continuation of it. */
  prompt: string;
  text: string | undefined;
  error: string | undefined;
}

export interface TrainingSlice {
  presetId: PresetId;
  /** Starts as the preset's; the model's vocabulary follows it. */
  tokenizer: TokenizerName;
  form: SettingsForm;
  settingsErrors: string[];
  data: DataState;
  run: RunStats;
  /** Why the run could not start: settings the worker rejected, or no GPU. */
  startError: string | undefined;
  history: History;
  historyVersion: number;
  sample: SampleState;
  /** What a classroom link hides and fixes, and what was wrong with the link. */
  classroom: Classroom;
}

export const initialRun: RunStats = {
  phase: 'idle',
  step: 0,
  maxSteps: 0,
  tokensSeen: 0,
  tokensPerSec: 0,
  msPerStep: 0,
  gflops: 0,
  etaMs: 0,
  error: undefined,
};

const initialSample: SampleState = { busy: false, prompt: '', text: undefined, error: undefined };

/** What the views show of one run: every path that starts, resumes or replays a run resets it. */
export type RunView = Pick<
  TrainingSlice,
  'run' | 'history' | 'historyVersion' | 'sample' | 'startError'
> &
  Pick<RunsSlice, 'nonFinite' | 'startOutOfMemory'> &
  Pick<LfrSlice, 'lfrRole' | 'lfrVersion' | 'lfrBlock' | 'lfrExportError'>;

/**
 * The state update that shows a new run: the run's views blank (new history arrays, versions
 * moved on so every view redraws), then `patch`, the path's own changes (its phase, its LFR role,
 * which saved run or model it is).
 */
export function freshRun<P extends object>(
  s: Pick<RunView, 'historyVersion' | 'lfrVersion'>,
  patch: P,
): Omit<RunView, keyof P> & P {
  return {
    run: initialRun,
    history: { steps: [], val: [] },
    historyVersion: s.historyVersion + 1,
    sample: initialSample,
    startError: undefined,
    nonFinite: undefined,
    startOutOfMemory: false,
    lfrRole: undefined,
    lfrVersion: s.lfrVersion + 1,
    lfrBlock: undefined,
    lfrExportError: undefined,
    ...patch,
  };
}

export function initialTraining(): TrainingSlice {
  return {
    presetId: 'tiny',
    tokenizer: PRESETS[0].tokenizer,
    form: formFromPreset(PRESETS[0]),
    settingsErrors: [],
    data: {
      tokenizer: undefined,
      loading: false,
      file: '',
      loaded: 0,
      total: null,
      summary: undefined,
      error: undefined,
    },
    run: initialRun,
    startError: undefined,
    history: { steps: [], val: [] },
    historyVersion: 0,
    sample: initialSample,
    classroom: NO_CLASSROOM,
  };
}

export const selectPresetId = (s: TrainingSlice) => s.presetId;
export const selectTokenizer = (s: TrainingSlice) => s.tokenizer;
export const selectForm = (s: TrainingSlice) => s.form;
export const selectSettingsErrors = (s: TrainingSlice) => s.settingsErrors;
export const selectData = (s: TrainingSlice) => s.data;
export const selectRun = (s: TrainingSlice) => s.run;
export const selectStartError = (s: TrainingSlice) => s.startError;
export const selectHistoryVersion = (s: TrainingSlice) => s.historyVersion;
export const selectSample = (s: TrainingSlice) => s.sample;
export const selectClassroom = (s: TrainingSlice) => s.classroom;

/** A run the controls can act on: built, and neither finished nor failed. */
export const selectRunLive = (s: TrainingSlice) =>
  s.run.phase === 'ready' || s.run.phase === 'running' || s.run.phase === 'paused';
/** Busy getting a run going: Train must not be pressed twice. */
export const selectRunStarting = (s: TrainingSlice) =>
  s.run.phase === 'loading-data' || s.run.phase === 'starting';
/** A session exists in the worker, so its model can be sampled. */
export const selectCanSample = (s: TrainingSlice) =>
  s.run.phase !== 'idle' && !selectRunStarting(s) && s.history.steps.length > 0;

/**
 * At most `max` points spread evenly over the history, always with the first and last: the
 * charts draw a few hundred points whatever the run's length, so each update costs O(max).
 */
export function thin<T>(points: readonly T[], max: number): T[] {
  const n = points.length;
  if (n <= max) return points.slice();
  const out = new Array<T>(max);
  for (let i = 0; i < max; i++) out[i] = points[Math.round((i * (n - 1)) / (max - 1))];
  return out;
}

/**
 * About `count` round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi]:
 * given to the charts so recharts does not search for ticks (and measure their text) per redraw.
 */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo, lo + 1];
  const raw = (hi - lo) / Math.max(1, count - 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const start = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  // Rounded to the step's decimals so labels read 0.3, not 0.30000000000000004.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  for (let t = start; t < hi + step * 0.999; t += step) ticks.push(Number(t.toFixed(decimals)));
  return ticks;
}
