// The plain data that crosses the worker boundary: no WebGPU object ever reaches the UI thread.
import type { AdapterReport } from '../gpu/device';
import type { CutDecision, PhaseSpan } from '../lfr/schedule';
import type { LfrSettings } from '../lfr/settings';
import type { LfrObservation, LfrPlan, LfrProgress } from '../lfr/stream';
import type { GPTConfig, TokenizerName, TrainConfig } from '../model/config';
import type { SampleOptions } from '../model/generator';
import type { CheckResult } from '../selftest/types';
import type { Progress, SessionState, StepPoint, ValPoint } from '../train/session';

export type { TokenizeProgress } from '../data/userText';
export type { AdapterReport, CheckResult };

/** The outcome of acquiring the GPU in the worker: the adapter, or why there is none. */
export type GpuStatus =
  | { ok: true; adapter: AdapterReport }
  | { ok: false; kind: 'unavailable' | 'limit' | 'other'; message: string };

/** A registered kernel check, as listed before it runs. */
export interface CheckInfo {
  kernel: string;
  variant: string;
  shape: string;
  tolerance: string;
}

/** One matmul benchmark point on the user's GPU; `error` is set when it could not run. */
export interface BenchResult {
  n: number;
  ms: number;
  gflops: number;
  error?: string;
}

export interface DeviceLoss {
  reason: string;
  message: string;
}

/** Bytes of the dataset files fetched so far (total from Content-Length, null when unknown). */
export interface DataProgress {
  file: string;
  loaded: number;
  total: number | null;
}

/** A loaded dataset, as the form needs it to validate a batch against the data. */
export interface DataSummary {
  name: string;
  tokenizer: TokenizerName;
  trainTokens: number;
  valTokens: number;
  trainDocuments: number;
}

/** Which data the next run trains on: the shipped OpenWebText slice or the user's own text. */
export type DataChoice = 'openwebtext' | 'user';

/** The user's loaded text: its source, how it was read and tokenized, and its size. */
export interface UserDataSummary {
  fileName: string;
  field: string;
  tokenizer: TokenizerName;
  documents: number;
  trainTokens: number;
  valTokens: number;
}

/** A scheduled run: LFR, or the random baseline at the LFR plan's token budget. */
export type LfrRole = 'lfr' | 'baseline';

/** How a scheduled run picks its blocks; its length is the schedule's, not train.maxSteps. */
export interface RunSchedule {
  role: LfrRole;
  lfr: LfrSettings;
  /** Train on the first maxBlocks blocks; 0 for all. */
  maxBlocks: number;
}

/** Everything a run is built from: a preset's tokenizer plus the edited model and train settings. */
export interface TrainSettings {
  tokenizer: TokenizerName;
  model: GPTConfig;
  train: TrainConfig;
  /** Absent: random batches for train.maxSteps steps, with no per-block scores. */
  schedule?: RunSchedule;
}

/** Progress of a run, with its schedule's news when it has one. */
export interface RunProgress extends Progress {
  lfr?: LfrProgress;
}

/** A data block as the click view shows it. */
export interface BlockText {
  id: number;
  /** Document of its first token and the offset there; lastDoc > doc when it spans two. */
  doc: number;
  offset: number;
  lastDoc: number;
  text: string;
}

/** The files a scheduled run can export. */
export type LfrExportKind = 'schedule' | 'historiesCsv' | 'historiesJson';

/** Starting a run either works or says why not (every settings problem, one per line). */
export type StartResult = { ok: true } | { ok: false; message: string };

/** The worker's run as the controls need it; 'idle' before any run was created. */
export interface TrainingStatus {
  state: SessionState | 'idle';
  step: number;
  maxSteps: number;
}

export interface SampleRequest extends SampleOptions {
  seed: number;
}

export type {
  CutDecision,
  GPTConfig,
  LfrObservation,
  LfrPlan,
  LfrProgress,
  LfrSettings,
  PhaseSpan,
  Progress,
  SampleOptions,
  SessionState,
  StepPoint,
  TokenizerName,
  TrainConfig,
  ValPoint,
};
