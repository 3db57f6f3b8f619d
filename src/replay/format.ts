// A recorded run as a file: the exact Progress events the page received (with their LFR news),
// when each arrived, the run's settings and form, the adapter it ran on, the samples taken during
// the run and the texts of its blocks. JSON, versioned, and checked field by field on load, so a
// bad file is refused with a message naming the field instead of breaking a view halfway.
import { LFR_ARMS } from '../lfr/arms';
import { type PhaseName, type PhaseSpan, SCHEDULE_KINDS } from '../lfr/schedule';
import { MAX_PHASES } from '../lfr/scores';
import type { LfrPlan, LfrProgress } from '../lfr/stream';
import { FIELDS } from '../store/settingsForm';
import { fits, URL_RULES } from '../store/urlSettings';
import { preview } from '../util/preview';
import type {
  BlockText,
  CutDecision,
  LfrRole,
  NonFinitePause,
  RunProgress,
  SessionState,
  StepPoint,
  TokenizerName,
  TrainSettings,
  ValPoint,
} from '../worker/protocol';
import {
  arr,
  between,
  count,
  fail,
  loss,
  num,
  obj,
  oneOf,
  RECORDING_FORMAT,
  type RecordedAdapter,
  RecordingError,
  str,
  strings,
} from './fields';
import {
  checkFinetuneRecording,
  FINETUNE_RECORDING_VERSION,
  type FinetuneRecording,
} from './finetuneFormat';

export const RECORDING_VERSION = 1;

export { RECORDING_FORMAT, type RecordedAdapter, RecordingError };

/** The training form as typed when Train was pressed: the replay shows the same settings. */
export interface RecordedForm {
  presetId: string;
  tokenizer: TokenizerName;
  values: Record<string, string>;
  /** The LFR fields, for a scheduled run. */
  lfr?: Record<string, string>;
}

/** A sample the user (or the recording script) took during the run. */
export interface RecordedSample {
  prompt: string;
  text: string;
}

/**
 * One thing the page received, `t` ms after Train was pressed: a progress event (exactly as
 * received) or a sample's text.
 */
export type RecordedEvent =
  | { t: number; progress: RunProgress; sample?: undefined }
  | { t: number; sample: RecordedSample; progress?: undefined };

export interface Recording {
  format: typeof RECORDING_FORMAT;
  version: typeof RECORDING_VERSION;
  title: string;
  /** ISO date and time the run started. */
  recordedAt: string;
  adapter: RecordedAdapter;
  settings: TrainSettings;
  form: RecordedForm;
  /** The scheduled run's role (its LFR views), or null for a plain run. */
  role: LfrRole | null;
  events: RecordedEvent[];
  /** Texts of the blocks the views can open (all of a small run's), by id. */
  blockTexts: BlockText[];
  /** The schedule export of a scheduled run at its end (what "Schedule (JSON)" downloaded). */
  schedule?: string;
}

// Typed arrays become plain arrays in JSON (JSON.stringify would write them as objects keyed by
// index); float32 and float64 values survive the round trip exactly, and NaN becomes null.
function lfrToJson(p: LfrProgress): unknown {
  return {
    ...p,
    observations: p.observations.map((o) => ({
      ...o,
      blockIds: Array.from(o.blockIds),
      losses: Array.from(o.losses),
    })),
    cuts: p.cuts.map((c) => ({
      ...c,
      scores: Array.from(c.scores),
      dropped: Array.from(c.dropped),
      kept: Array.from(c.kept),
    })),
  };
}

/** The recording as JSON text (one event per line, so a diff of two recordings reads well). */
export function recordingToJson(r: Recording): string {
  const events = r.events.map((e) =>
    JSON.stringify(
      e.progress?.lfr ? { ...e, progress: { ...e.progress, lfr: lfrToJson(e.progress.lfr) } } : e,
    ),
  );
  const head = JSON.stringify({ ...r, events: [] }, null, 1);
  return head.replace('"events": []', `"events": [\n${events.join(',\n')}\n]`);
}

// ---- checking a loaded file: each helper names the path of what it checks ----

/**
 * Bounds on what a replay allocates from a recording: the LFR mirror keeps (slices x blocks)
 * floats of history, so 2^26 cells (256 MiB) is the most a file may ask for, far above any run
 * (100,000 blocks x 64 slices is 6.4 million).
 */
const MAX_HISTORY_CELLS = 2 ** 26;
const MAX_SLICES = 4096;
const PHASE_NAMES: readonly PhaseName[] = ['random', 'learn', 'focus', 'review', 'focusAgain'];

const STATES: readonly SessionState[] = ['ready', 'running', 'paused', 'done', 'stopped', 'failed'];

function stepPoint(path: string, v: unknown): StepPoint {
  const o = obj(path, v);
  return {
    step: count(`${path}.step`, o.step),
    loss: loss(`${path}.loss`, o.loss),
    lr: num(`${path}.lr`, o.lr),
    gradNorm: loss(`${path}.gradNorm`, o.gradNorm),
  };
}

function valPoint(path: string, v: unknown): ValPoint {
  const o = obj(path, v);
  return {
    step: count(`${path}.step`, o.step),
    loss: loss(`${path}.loss`, o.loss),
    perplexity: loss(`${path}.perplexity`, o.perplexity),
  };
}

/** Block ids of the plan's blocks. */
function blockIds(path: string, v: unknown, plan: LfrPlan): number[] {
  return arr(path, v).map((x, i) => between(`${path}[${i}]`, x, 0, plan.blockCount - 1));
}

function cut(path: string, v: unknown, plan: LfrPlan): CutDecision {
  const o = obj(path, v);
  const lastPhase = plan.phases.length - 1;
  const scores = arr(`${path}.scores`, o.scores);
  if (scores.length !== plan.blockCount)
    fail(`${path}.scores`, `a list of the plan's ${plan.blockCount} block scores`, scores);
  const dropped = blockIds(`${path}.dropped`, o.dropped, plan);
  const kept = blockIds(`${path}.kept`, o.kept, plan);
  if (dropped.length + kept.length !== plan.blockCount) {
    throw new RecordingError(
      `${path} drops ${dropped.length} and keeps ${kept.length} blocks, not the plan's ${plan.blockCount} in all.`,
    );
  }
  return {
    phase: between(`${path}.phase`, o.phase, 0, lastPhase),
    decidedBy: between(`${path}.decidedBy`, o.decidedBy, 0, lastPhase),
    dropPercent: num(`${path}.dropPercent`, o.dropPercent),
    scores: Float64Array.from(scores.map((x, i) => loss(`${path}.scores[${i}]`, x))),
    dropped: Uint32Array.from(dropped),
    kept: Uint32Array.from(kept),
    cutValue: loss(`${path}.cutValue`, o.cutValue),
  };
}

function nonFinite(path: string, v: unknown): NonFinitePause {
  const o = obj(path, v);
  const t = o.tensor === null ? null : obj(`${path}.tensor`, o.tensor);
  return {
    step: count(`${path}.step`, o.step),
    loss: loss(`${path}.loss`, o.loss),
    tensor: t && {
      tensor: str(`${path}.tensor.tensor`, t.tensor),
      kind: oneOf(`${path}.tensor.kind`, t.kind, ['parameter', 'activation', 'gradient'] as const),
      index: count(`${path}.tensor.index`, t.index),
      value: loss(`${path}.tensor.value`, t.value),
    },
  };
}

function phaseSpan(
  path: string,
  v: unknown,
  index: number,
  plan: Omit<LfrPlan, 'phases'>,
): PhaseSpan {
  const o = obj(path, v);
  const startStep = between(`${path}.startStep`, o.startStep, 0, plan.totalSteps);
  const dropPercent = num(`${path}.dropPercent`, o.dropPercent);
  if (dropPercent < 0 || dropPercent >= 100)
    fail(`${path}.dropPercent`, 'a percent in [0, 100)', dropPercent);
  return {
    index: between(`${path}.index`, o.index, index, index),
    name: oneOf(`${path}.name`, o.name, PHASE_NAMES),
    epochs: num(`${path}.epochs`, o.epochs),
    keptCount: between(`${path}.keptCount`, o.keptCount, 0, plan.blockCount),
    startStep,
    endStep: between(`${path}.endStep`, o.endStep, startStep, plan.totalSteps),
    tokens: count(`${path}.tokens`, o.tokens),
    decidedBy:
      o.decidedBy === null ? null : between(`${path}.decidedBy`, o.decidedBy, 0, index - 1),
    dropPercent,
  };
}

/** An LFR plan, bounded so the replay's mirror of its scores fits in memory. */
function lfrPlan(path: string, v: unknown): LfrPlan {
  const o = obj(path, v);
  const blockCount = between(`${path}.blockCount`, o.blockCount, 1, MAX_HISTORY_CELLS / 2);
  const slices = between(`${path}.slices`, o.slices, 2, MAX_SLICES);
  if (slices % 2 !== 0)
    fail(`${path}.slices`, 'an even number (history slices merge in pairs)', slices);
  if (blockCount * slices > MAX_HISTORY_CELLS) {
    throw new RecordingError(
      `${path} asks for ${blockCount} blocks x ${slices} history slices, over the ${MAX_HISTORY_CELLS} cells a replay keeps: the file is damaged.`,
    );
  }
  const head = {
    kind: oneOf(`${path}.kind`, o.kind, SCHEDULE_KINDS),
    blockCount,
    blockSize: between(`${path}.blockSize`, o.blockSize, 1, 1024),
    batchSize: between(`${path}.batchSize`, o.batchSize, 1, blockCount),
    accumSteps: between(`${path}.accumSteps`, o.accumSteps, 1, 1024),
    slices,
    totalSteps: count(`${path}.totalSteps`, o.totalSteps),
    tokensPlanned: count(`${path}.tokensPlanned`, o.tokensPlanned),
  };
  const phases = arr(`${path}.phases`, o.phases);
  if (phases.length < 1 || phases.length > MAX_PHASES)
    fail(`${path}.phases`, `a list of 1 to ${MAX_PHASES} phases`, phases);
  return { ...head, phases: phases.map((p, i) => phaseSpan(`${path}.phases[${i}]`, p, i, head)) };
}

/** The schedule news of one event; observations and cuts are checked against the plan so far. */
function lfrProgress(path: string, v: unknown, known: { plan?: LfrPlan }): LfrProgress {
  const o = obj(path, v);
  const out: LfrProgress = {
    observations: [],
    cuts: [],
    tokensUsed: count(`${path}.tokensUsed`, o.tokensUsed),
  };
  if (o.plan !== undefined) {
    out.plan = lfrPlan(`${path}.plan`, o.plan);
    known.plan = out.plan;
  }
  const observations = arr(`${path}.observations`, o.observations);
  const cuts = arr(`${path}.cuts`, o.cuts);
  const plan = known.plan;
  if (!plan) {
    if (observations.length === 0 && cuts.length === 0) return out;
    throw new RecordingError(
      `${path} has block scores before any event carried the schedule's plan.`,
    );
  }
  out.observations = observations.map((x, i) => {
    const p = `${path}.observations[${i}]`;
    const ob = obj(p, x);
    const ids = blockIds(`${p}.blockIds`, ob.blockIds, plan);
    const losses = arr(`${p}.losses`, ob.losses).map((l, j) => loss(`${p}.losses[${j}]`, l));
    if (ids.length !== losses.length) {
      throw new RecordingError(
        `${p} has ${ids.length} block ids but ${losses.length} losses: each block needs its loss.`,
      );
    }
    return {
      step: between(`${p}.step`, ob.step, 0, plan.totalSteps),
      phase: between(`${p}.phase`, ob.phase, 0, plan.phases.length - 1),
      blockIds: Uint32Array.from(ids),
      losses: Float32Array.from(losses),
    };
  });
  out.cuts = cuts.map((c, i) => cut(`${path}.cuts[${i}]`, c, plan));
  return out;
}

function progress(path: string, v: unknown, known: { plan?: LfrPlan }): RunProgress {
  const o = obj(path, v);
  const p: RunProgress = {
    state: oneOf(`${path}.state`, o.state, STATES),
    step: count(`${path}.step`, o.step),
    maxSteps: count(`${path}.maxSteps`, o.maxSteps),
    points: arr(`${path}.points`, o.points).map((x, i) => stepPoint(`${path}.points[${i}]`, x)),
    val: arr(`${path}.val`, o.val).map((x, i) => valPoint(`${path}.val[${i}]`, x)),
    tokensSeen: count(`${path}.tokensSeen`, o.tokensSeen),
    tokensPerSec: num(`${path}.tokensPerSec`, o.tokensPerSec),
    msPerStep: num(`${path}.msPerStep`, o.msPerStep),
    gflops: num(`${path}.gflops`, o.gflops),
    etaMs: num(`${path}.etaMs`, o.etaMs),
  };
  if (o.error !== undefined) p.error = str(`${path}.error`, o.error);
  if (o.nonFinite !== undefined) p.nonFinite = nonFinite(`${path}.nonFinite`, o.nonFinite);
  if (o.lfr !== undefined) p.lfr = lfrProgress(`${path}.lfr`, o.lfr, known);
  return p;
}

function event(path: string, v: unknown, known: { plan?: LfrPlan }): RecordedEvent {
  const o = obj(path, v);
  const t = num(`${path}.t`, o.t);
  if (o.progress !== undefined)
    return { t, progress: progress(`${path}.progress`, o.progress, known) };
  const s = obj(`${path}.sample`, o.sample);
  return {
    t,
    sample: {
      prompt: str(`${path}.sample.prompt`, s.prompt),
      text: str(`${path}.sample.text`, s.text),
    },
  };
}

function blockText(path: string, v: unknown): BlockText {
  const o = obj(path, v);
  return {
    id: count(`${path}.id`, o.id),
    doc: count(`${path}.doc`, o.doc),
    offset: count(`${path}.offset`, o.offset),
    lastDoc: count(`${path}.lastDoc`, o.lastDoc),
    text: str(`${path}.text`, o.text),
  };
}

/**
 * The form's numbers within what a link may set (URL_RULES): the replay shows them in the form,
 * whose memory estimate sizes the model from them, so n_layer "1000000000" must not get there.
 */
function formValues(values: Record<string, string>): Record<string, string> {
  for (const { key } of FIELDS) {
    const text = values[key];
    if (text === undefined) continue;
    const rule = URL_RULES[key];
    const ok = text.trim() !== '' && fits(rule, Number(text));
    if (!ok) fail(`recording.form.values.${key}`, `a number from ${rule.min} to ${rule.max}`, text);
  }
  return values;
}

/** A pretraining run's recording (version 1) or a fine-tune's (version 2, kind "finetune"). */
export type AnyRecording = Recording | FinetuneRecording;

/** A fine-tune's recording, told apart from a pretraining run's. */
export const isFinetuneRecording = (r: AnyRecording): r is FinetuneRecording =>
  'kind' in r && r.kind === 'finetune';

/**
 * Checks a parsed recording and returns it with its arrays typed again. Throws RecordingError
 * naming the first field that is wrong.
 */
export function checkRecording(v: unknown): AnyRecording {
  const o = obj('The recording', v);
  if (o.format !== RECORDING_FORMAT) {
    throw new RecordingError(
      `This file is not a studio recording (its "format" is ${preview(o.format)}, not "${RECORDING_FORMAT}"): open a file made by "Download recording".`,
    );
  }
  if (o.version === FINETUNE_RECORDING_VERSION) {
    oneOf('recording.kind', o.kind, ['finetune'] as const);
    return checkFinetuneRecording(o);
  }
  if (o.version !== RECORDING_VERSION) {
    const newer = typeof o.version === 'number' && o.version > FINETUNE_RECORDING_VERSION;
    throw new RecordingError(
      newer
        ? `This recording has version ${o.version}, made by a newer studio; this one reads versions ${RECORDING_VERSION} and ${FINETUNE_RECORDING_VERSION}: update the studio.`
        : `recording.version must be ${RECORDING_VERSION} or ${FINETUNE_RECORDING_VERSION}, not ${preview(o.version)}.`,
    );
  }
  const adapter = obj('recording.adapter', o.adapter);
  const form = obj('recording.form', o.form);
  const settings = obj('recording.settings', o.settings);
  obj('recording.settings.model', settings.model);
  obj('recording.settings.train', settings.train);
  const known: { plan?: LfrPlan } = {};
  const events = arr('recording.events', o.events).map((e, i) =>
    event(`recording.events[${i}]`, e, known),
  );
  let last = 0;
  events.forEach((e, i) => {
    if (e.t < last) {
      throw new RecordingError(
        `recording.events[${i}] is at ${e.t} ms, before the event ahead of it (${last} ms): events must be in the order received.`,
      );
    }
    last = e.t;
  });
  if (!events.some((e) => e.progress)) {
    throw new RecordingError('The recording has no progress event: there is nothing to replay.');
  }
  const recording: Recording = {
    format: RECORDING_FORMAT,
    version: RECORDING_VERSION,
    title: str('recording.title', o.title),
    recordedAt: str('recording.recordedAt', o.recordedAt),
    adapter: {
      vendor: str('recording.adapter.vendor', adapter.vendor),
      architecture: str('recording.adapter.architecture', adapter.architecture),
      description: str('recording.adapter.description', adapter.description),
    },
    settings: settings as never as TrainSettings,
    form: {
      presetId: str('recording.form.presetId', form.presetId),
      tokenizer: oneOf('recording.form.tokenizer', form.tokenizer, ['byte', 'gpt2'] as const),
      values: formValues(strings('recording.form.values', form.values)),
    },
    role: o.role === null ? null : oneOf('recording.role', o.role, LFR_ARMS),
    events,
    blockTexts: arr('recording.blockTexts', o.blockTexts).map((b, i) =>
      blockText(`recording.blockTexts[${i}]`, b),
    ),
  };
  if (form.lfr !== undefined) recording.form.lfr = strings('recording.form.lfr', form.lfr);
  if (o.schedule !== undefined) recording.schedule = str('recording.schedule', o.schedule);
  if (recording.role !== null && !events.some((e) => e.progress?.lfr?.plan)) {
    throw new RecordingError(
      `The recording is of an ${recording.role} run but no event carries its schedule's plan: the LFR views could not be drawn.`,
    );
  }
  return recording;
}

/** Parses and checks a recording file's text; `name` says which file in the messages. */
export function parseRecording(text: string, name: string): AnyRecording {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new RecordingError(
      `${name} is not valid JSON (${e instanceof Error ? e.message : String(e)}): open a file made by "Download recording".`,
    );
  }
  try {
    return checkRecording(v);
  } catch (e) {
    if (e instanceof RecordingError) throw new RecordingError(`${name}: ${e.message}`);
    throw e;
  }
}
