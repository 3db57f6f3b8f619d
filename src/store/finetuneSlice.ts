// LoRA fine-tuning in the page: the form (as typed), its messages from the worker, the base the
// worker offers, the side-by-side run's loss curves and state, and the invariance demo's series.
import { LORA_TARGETS, type LoraTarget } from '../model/lora';
import type {
  FinetuneBase,
  FinetuneOrder,
  FinetunePause,
  FinetunePoint,
  FinetuneProgress,
  FinetuneRequest,
  FinetuneState,
  FinetuneText,
  InvarianceMatrixKind,
  InvarianceRequest,
  InvarianceSeries,
} from '../worker/protocol';

export type OptimizerChoice = 'adam' | 'rite' | 'both';
export type OptimizerKind = 'adam' | 'rite';

export const OPTIMIZER_KINDS: readonly OptimizerKind[] = ['adam', 'rite'];

export const OPTIMIZER_LABEL: Record<OptimizerKind, string> = { adam: 'Adam', rite: 'LoRA-RITE' };

/** The four adaptable layers, as the form's checkboxes name them. */
export const TARGET_LABEL: Record<LoraTarget, string> = {
  'attn.c_attn': 'attn qkv (c_attn)',
  'attn.c_proj': 'attn out (attn.c_proj)',
  'mlp.c_fc': 'MLP in (c_fc)',
  'mlp.c_proj': 'MLP out (mlp.c_proj)',
};

/** The demo's presets of S, in the order the form lists them. */
export const MATRIX_LABEL: Record<InvarianceMatrixKind, string> = {
  scalar: 'scalar: S = 10 I',
  diagonal: 'diagonal, ill-conditioned (cond 1e3)',
  orthogonal: 'random orthogonal',
  general: 'general random',
};

/** The text fields of the form, kept as typed. */
export type FinetuneFieldKey =
  | 'rank'
  | 'alpha'
  | 'lr'
  | 'riteLr'
  | 'warmup'
  | 'steps'
  | 'batchSize'
  | 'seed'
  | 'matrixSeed'
  | 'demoSteps';

export interface FinetuneForm {
  text: FinetuneText;
  targets: LoraTarget[];
  optimizer: OptimizerChoice;
  order: FinetuneOrder;
  escapedMass: boolean;
  decay: FinetuneRequest['decay'];
  /** RITE at its own rate (riteLr) rather than lr. */
  separateRates: boolean;
  matrix: InvarianceMatrixKind;
  values: Record<FinetuneFieldKey, string>;
}

export function defaultFinetuneForm(): FinetuneForm {
  return {
    text: 'heldout',
    targets: [...LORA_TARGETS],
    optimizer: 'both',
    order: 'interleaved',
    escapedMass: true,
    decay: 'constant',
    separateRates: false,
    matrix: 'scalar',
    values: {
      rank: '4',
      alpha: '8',
      lr: '1e-3',
      riteLr: '3e-2',
      warmup: '0',
      steps: '30',
      batchSize: '8',
      seed: '1',
      matrixSeed: '1',
      demoSteps: '5',
    },
  };
}

const parse = (text: string): number => (text.trim() === '' ? Number.NaN : Number(text));

/** The run a form describes (numbers as typed: the worker's checks name what is wrong). */
export function requestFromForm(form: FinetuneForm): FinetuneRequest {
  const v = form.values;
  return {
    lora: { rank: parse(v.rank), alpha: parse(v.alpha), targets: form.targets },
    optimizers: form.optimizer === 'both' ? ['adam', 'rite'] : [form.optimizer],
    lr: parse(v.lr),
    ...(form.separateRates ? { riteLr: parse(v.riteLr) } : {}),
    warmupSteps: parse(v.warmup),
    decay: form.decay,
    steps: parse(v.steps),
    batchSize: parse(v.batchSize),
    escapedMass: form.escapedMass,
    seed: parse(v.seed),
    order: form.order,
  };
}

/** The demo's request: the form's run, both optimizers, the demo's steps and S. */
export function invarianceFromForm(form: FinetuneForm): InvarianceRequest {
  return {
    ...requestFromForm(form),
    optimizers: ['adam', 'rite'],
    steps: parse(form.values.demoSteps),
    matrix: form.matrix,
    matrixSeed: parse(form.values.matrixSeed),
  };
}

export type FinetunePhase = 'idle' | 'starting' | FinetuneState;

export interface FinetuneRunView {
  phase: FinetunePhase;
  done: Partial<Record<OptimizerKind, number>>;
  steps: number;
  msPerStep: number;
  /** Each optimizer's peak learning rate, for the chart's legend. */
  rates: Partial<Record<OptimizerKind, number>>;
  nonFinite: FinetunePause | undefined;
  /** Why the run could not start, or why it failed. */
  error: string | undefined;
}

export interface FinetuneSample {
  busy: boolean;
  kind: OptimizerKind | undefined;
  text: string | undefined;
  error: string | undefined;
}

export interface InvarianceView {
  status: 'idle' | 'running' | 'done' | 'failed';
  series: InvarianceSeries[];
  error: string | undefined;
}

export interface FinetuneSlice {
  finetuneForm: FinetuneForm;
  /** The worker's messages for the form as it stands; Start waits for them. */
  finetuneErrors: string[];
  finetuneChecking: boolean;
  /** undefined until asked, null when there is no model to fine-tune yet. */
  finetuneBase: FinetuneBase | null | undefined;
  finetuneRun: FinetuneRunView;
  /** Append-only per optimizer; finetuneVersion moves on when they grow. */
  finetuneCurves: Record<OptimizerKind, FinetunePoint[]>;
  finetuneVersion: number;
  finetuneSample: FinetuneSample;
  finetuneExportError: string | undefined;
  invariance: InvarianceView;
  /** The fine-tune's checkpoints: the autosave period as typed, the last save, why one failed. */
  finetuneSave: FinetuneSaveView;
}

export interface FinetuneSaveView {
  autosave: string;
  /** The saved run the fine-tune writes to, once it was saved (or resumed from). */
  runId: string | undefined;
  lastSteps: number | undefined;
  error: string | undefined;
}

/** Fine-tunes are short: a checkpoint every 10 steps of each optimizer costs little. */
export const DEFAULT_FINETUNE_AUTOSAVE = '10';

export const initialFinetuneRun: FinetuneRunView = {
  phase: 'idle',
  done: {},
  steps: 0,
  msPerStep: 0,
  rates: {},
  nonFinite: undefined,
  error: undefined,
};

export function initialFinetune(): FinetuneSlice {
  return {
    finetuneForm: defaultFinetuneForm(),
    finetuneErrors: [],
    finetuneChecking: false,
    finetuneBase: undefined,
    finetuneRun: initialFinetuneRun,
    finetuneCurves: { adam: [], rite: [] },
    finetuneVersion: 0,
    finetuneSample: { busy: false, kind: undefined, text: undefined, error: undefined },
    finetuneExportError: undefined,
    invariance: { status: 'idle', series: [], error: undefined },
    finetuneSave: {
      autosave: DEFAULT_FINETUNE_AUTOSAVE,
      runId: undefined,
      lastSteps: undefined,
      error: undefined,
    },
  };
}

/** The slice after a progress event: the points appended in place, the run's state replaced. */
export function applyFinetuneProgress(
  s: FinetuneSlice,
  p: FinetuneProgress,
): Partial<FinetuneSlice> {
  for (const point of p.points) s.finetuneCurves[point.kind].push(point);
  return {
    finetuneRun: {
      phase: p.state,
      done: p.done,
      steps: p.steps,
      msPerStep: p.msPerStep,
      rates: p.rates,
      nonFinite: p.nonFinite,
      error: p.state === 'failed' ? (p.error ?? 'the run failed without a message') : undefined,
    },
    finetuneVersion: s.finetuneVersion + (p.points.length > 0 ? 1 : 0),
  };
}

/** Save now and export need a fine-tune that exists and did not fail or diverge. */
export const selectFinetuneSavable = (s: FinetuneSlice) =>
  s.finetuneRun.phase !== 'idle' &&
  s.finetuneRun.phase !== 'starting' &&
  s.finetuneRun.phase !== 'failed' &&
  !s.finetuneRun.nonFinite;

/** A run or the demo is using the GPU (the form waits for it). */
export const selectFinetuneBusy = (s: FinetuneSlice) =>
  s.finetuneRun.phase === 'starting' ||
  s.finetuneRun.phase === 'running' ||
  s.invariance.status === 'running';

/** Start (and the demo) may go: a base that is not training, a checked form without messages. */
export const selectFinetuneReady = (s: FinetuneSlice) =>
  !!s.finetuneBase &&
  !s.finetuneBase.busy &&
  !s.finetuneChecking &&
  s.finetuneErrors.length === 0 &&
  !selectFinetuneBusy(s);

/** Sampling and export need adapters: a run that took at least one step. */
export const selectFinetuneTrained = (s: FinetuneSlice) =>
  s.finetuneRun.phase !== 'idle' &&
  s.finetuneRun.phase !== 'starting' &&
  Object.values(s.finetuneRun.done).some((n) => (n ?? 0) > 0);
