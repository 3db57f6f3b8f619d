// The plain data that crosses the worker boundary: no WebGPU object ever reaches the UI thread.
import type { RunMeta } from '../checkpoint/store';
import type { AdapterReport } from '../gpu/device';
import type { LfrArm } from '../lfr/arms';
import type { CutDecision, PhaseSpan } from '../lfr/schedule';
import type { LfrSettings } from '../lfr/settings';
import type { LfrObservation, LfrPlan, LfrProgress } from '../lfr/stream';
import type { GPTConfig, TokenizerName, TrainConfig } from '../model/config';
import type { SampleOptions } from '../model/generator';
import type { CheckResult } from '../selftest/types';
import type {
  FinetuneOrder,
  FinetunePause,
  FinetunePoint,
  FinetuneProgress,
  FinetuneRequest,
  FinetuneState,
  InvarianceRequest,
  InvarianceSeries,
  InvarianceStep,
} from '../train/finetuneSession';
import type { StepPoint, ValPoint } from '../train/history';
import type { InvarianceMatrixKind } from '../train/invarianceMatrix';
import type { NonFiniteTensor } from '../train/nonFinite';
import type { NonFinitePause, Progress, SessionState } from '../train/session';

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

/**
 * A scheduled run: LFR, the random baseline at the LFR plan's token budget, or one of LFR's
 * control arms (random drop, no Review) at the same budget.
 */
export type LfrRole = LfrArm;

/** How a scheduled run picks its blocks; its length is the schedule's, not train.maxSteps. */
export interface RunSchedule {
  role: LfrRole;
  lfr: LfrSettings;
  /** Train on the first maxBlocks blocks; 0 for all. */
  maxBlocks: number;
  /** The maxBlocks blocks are a random sample of the split's, drawn from the run's seed. */
  sampleBlocks?: boolean;
}

/** Everything a run is built from: a preset's tokenizer plus the edited model and train settings. */
export interface TrainSettings {
  tokenizer: TokenizerName;
  model: GPTConfig;
  train: TrainConfig;
  /** Absent: random batches for train.maxSteps steps, with no per-block scores. */
  schedule?: RunSchedule;
  /** The preset the form started from, recorded with the run's checkpoints. */
  preset?: string;
  /** Checkpoint to the runs list every N steps; 0 or absent: only on "Save now". */
  autosaveEvery?: number;
}

/** A saved run as the runs list shows it. */
export type SavedRun = RunMeta;

/** What a save of the current run did: the run as saved, or why it was not (the run goes on). */
export type SaveNews = { ok: true; run: SavedRun } | { ok: false; step: number; message: string };

/** A saved run made the current one: its settings (for the form) and where it stands. */
export type ResumeResult =
  | { ok: true; run: SavedRun; settings: TrainSettings; step: number; maxSteps: number }
  | { ok: false; message: string };

/** After a device loss: the GPU again, and the run reloaded from its last checkpoint (if any). */
export type Recovery =
  | {
      ok: true;
      gpu: GpuStatus;
      /** Steps done when the device was lost. */
      lostAtStep: number;
      /** The checkpoint's step, or null when the run had none (it must start again). */
      restoredStep: number | null;
      maxSteps: number;
    }
  | { ok: false; message: string };

/** An imported Hugging Face GPT-2: the current model, for sampling (and later fine-tuning). */
export interface ImportedModel {
  config: GPTConfig;
  tokenizer: TokenizerName;
  parameterCount: number;
}

/** The model as Hugging Face files: model.safetensors and config.json. */
export interface ModelFiles {
  safetensors: Uint8Array;
  configJson: string;
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
export type StartResult =
  | { ok: true }
  | {
      ok: false;
      message: string /** The GPU had no room: offer a smaller preset. */;
      outOfMemory?: boolean;
    };

/** The worker's run as the controls need it; 'idle' before any run was created. */
export interface TrainingStatus {
  state: SessionState | 'idle';
  step: number;
  maxSteps: number;
}

export interface SampleRequest extends SampleOptions {
  seed: number;
}

/** What a fine-tune trains on: the shipped data's validation split (held out from pretraining), or the user's text. */
export type FinetuneText = 'heldout' | 'user';

/** The model a fine-tune would start from now: the current run's, or imported GPT-2 weights. */
export interface FinetuneBase {
  source: 'run' | 'imported';
  config: GPTConfig;
  tokenizer: TokenizerName;
  /** The run's steps done (0 for an imported model). */
  step: number;
  /** The run is training: it must be paused or stopped before a fine-tune starts from it. */
  busy: boolean;
}

/** The invariance demo's outcome: every optimizer's series, or why it could not run. */
export type InvarianceResult =
  | { ok: true; series: InvarianceSeries[] }
  | { ok: false; message: string };

/** A saved fine-tune made the current one: its run, its form (rates as resumed), its text. */
export type FinetuneResume =
  | { ok: true; run: SavedRun; request: FinetuneRequest; text: FinetuneText }
  | { ok: false; message: string };

/** A PEFT LoRA adapter: adapter_model.safetensors and adapter_config.json. */
export interface PeftFiles {
  safetensors: Uint8Array;
  adapterConfigJson: string;
}

export type {
  CutDecision,
  FinetuneOrder,
  FinetunePause,
  FinetunePoint,
  FinetuneProgress,
  FinetuneRequest,
  FinetuneState,
  GPTConfig,
  InvarianceMatrixKind,
  InvarianceRequest,
  InvarianceSeries,
  InvarianceStep,
  LfrObservation,
  LfrPlan,
  LfrProgress,
  LfrSettings,
  NonFinitePause,
  NonFiniteTensor,
  PhaseSpan,
  Progress,
  SampleOptions,
  SessionState,
  StepPoint,
  TokenizerName,
  TrainConfig,
  ValPoint,
};
