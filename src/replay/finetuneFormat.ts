// A recorded fine-tune as a file: the fine-tune view's progress events (both optimizers' losses
// and their learning rates), the invariance demo's steps and the samples, each with when it
// arrived, the form as typed (its schedule: peak rates, warmup, decay, steps), the base model and
// the adapter. The recording format's version 2, kind "finetune"; checked field by field on load.
import { LORA_TARGETS, type LoraTarget } from '../model/lora';
import {
  defaultFinetuneForm,
  type FinetuneFieldKey,
  type FinetuneForm,
  MATRIX_LABEL,
  OPTIMIZER_KINDS,
  type OptimizerKind,
} from '../store/finetuneSlice';
import { fits, LORA_URL_RULES } from '../store/urlSettings';
import type {
  FinetuneBase,
  FinetunePoint,
  FinetuneProgress,
  FinetuneState,
  InvarianceMatrixKind,
  InvarianceStep,
} from '../worker/protocol';
import {
  arr,
  between,
  count,
  fail,
  type Json,
  loss,
  num,
  obj,
  oneOf,
  RECORDING_FORMAT,
  type RecordedAdapter,
  RecordingError,
  str,
} from './fields';

/** The first version with a `kind`; pretraining recordings are still written as version 1. */
export const FINETUNE_RECORDING_VERSION = 2;

/** A sample of one optimizer's fine-tuned model, as the view showed it. */
export interface RecordedFinetuneSample {
  kind: OptimizerKind;
  text: string;
}

/** One thing the fine-tune view received, `t` ms after the recording began. */
export type FinetuneEvent =
  | { t: number; progress: FinetuneProgress }
  | { t: number; invariance: InvarianceStep }
  | { t: number; sample: RecordedFinetuneSample };

export interface FinetuneRecording {
  format: typeof RECORDING_FORMAT;
  version: typeof FINETUNE_RECORDING_VERSION;
  kind: 'finetune';
  title: string;
  recordedAt: string;
  adapter: RecordedAdapter;
  /** The model the fine-tune started from. */
  base: FinetuneBase;
  form: FinetuneForm;
  events: FinetuneEvent[];
}

/** The recording as JSON text, one event per line. */
export function finetuneRecordingToJson(r: FinetuneRecording): string {
  const events = r.events.map((e) => JSON.stringify(e));
  const head = JSON.stringify({ ...r, events: [] }, null, 1);
  return head.replace('"events": []', `"events": [\n${events.join(',\n')}\n]`);
}

// The most of each a file may ask the replay to draw: the form's own limits (a link's).
const MAX_STEPS = LORA_URL_RULES.steps.max;
const MAX_DEMO_STEPS = LORA_URL_RULES.demoSteps.max;
const STATES: readonly FinetuneState[] = ['running', 'paused', 'done', 'stopped', 'failed'];
const MATRICES = Object.keys(MATRIX_LABEL) as InvarianceMatrixKind[];

function bool(path: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail(path, 'true or false', v);
  return v;
}

const kindOf = (path: string, v: unknown) => oneOf(path, v, OPTIMIZER_KINDS);

/** A record keyed by optimizer: only 'adam' and 'rite' keys, each value checked by `check`. */
function perKind(
  path: string,
  v: unknown,
  check: (path: string, v: unknown) => number,
): Partial<Record<OptimizerKind, number>> {
  const o = obj(path, v);
  const out: Partial<Record<OptimizerKind, number>> = {};
  for (const key of Object.keys(o)) {
    const kind = kindOf(`${path} key`, key);
    out[kind] = check(`${path}.${kind}`, o[kind]);
  }
  return out;
}

function positive(path: string, v: unknown): number {
  const x = num(path, v);
  if (x <= 0) fail(path, 'a number above 0', x);
  return x;
}

function base(path: string, v: unknown): FinetuneBase {
  const o = obj(path, v);
  const c = obj(`${path}.config`, o.config);
  return {
    source: oneOf(`${path}.source`, o.source, ['run', 'imported'] as const),
    config: {
      vocabSize: between(`${path}.config.vocabSize`, c.vocabSize, 1, 1_000_000),
      blockSize: between(`${path}.config.blockSize`, c.blockSize, 1, 1_000_000),
      nLayer: between(`${path}.config.nLayer`, c.nLayer, 1, 1000),
      nHead: between(`${path}.config.nHead`, c.nHead, 1, 1000),
      nEmbd: between(`${path}.config.nEmbd`, c.nEmbd, 1, 1_000_000),
    },
    tokenizer: oneOf(`${path}.tokenizer`, o.tokenizer, ['byte', 'gpt2'] as const),
    step: count(`${path}.step`, o.step),
    busy: false,
  };
}

/** The form's numbers within what a link may set: the replay shows them in the form. */
function formValues(path: string, v: unknown): FinetuneForm['values'] {
  const o = obj(path, v);
  const values = defaultFinetuneForm().values;
  for (const key of Object.keys(values) as FinetuneFieldKey[]) {
    const text = str(`${path}.${key}`, o[key]);
    const rule = LORA_URL_RULES[key];
    if (text.trim() === '' || !fits(rule, Number(text)))
      fail(`${path}.${key}`, `a number from ${rule.min} to ${rule.max}`, text);
    values[key] = text;
  }
  return values;
}

function form(path: string, v: unknown): FinetuneForm {
  const o = obj(path, v);
  const targets = arr(`${path}.targets`, o.targets);
  if (targets.length > LORA_TARGETS.length)
    fail(`${path}.targets`, `a list of at most ${LORA_TARGETS.length} layers`, targets);
  return {
    ...defaultFinetuneForm(),
    text: oneOf(`${path}.text`, o.text, ['heldout', 'user'] as const),
    targets: targets.map((t, i) => oneOf<LoraTarget>(`${path}.targets[${i}]`, t, LORA_TARGETS)),
    optimizer: oneOf(`${path}.optimizer`, o.optimizer, ['adam', 'rite', 'both'] as const),
    order: oneOf(`${path}.order`, o.order, ['interleaved', 'sequential'] as const),
    escapedMass: bool(`${path}.escapedMass`, o.escapedMass),
    decay: oneOf(`${path}.decay`, o.decay, ['constant', 'cosine'] as const),
    separateRates: bool(`${path}.separateRates`, o.separateRates),
    matrix: oneOf(`${path}.matrix`, o.matrix, MATRICES),
    values: formValues(`${path}.values`, o.values),
  };
}

function point(path: string, v: unknown, steps: number): FinetunePoint {
  const o = obj(path, v);
  return {
    kind: kindOf(`${path}.kind`, o.kind),
    step: between(`${path}.step`, o.step, 1, steps),
    loss: loss(`${path}.loss`, o.loss),
  };
}

function progress(path: string, v: unknown): FinetuneProgress {
  const o = obj(path, v);
  const steps = between(`${path}.steps`, o.steps, 1, MAX_STEPS);
  const p: FinetuneProgress = {
    state: oneOf(`${path}.state`, o.state, STATES),
    done: perKind(`${path}.done`, o.done, (at, x) => between(at, x, 0, steps)),
    steps,
    points: arr(`${path}.points`, o.points).map((x, i) => point(`${path}.points[${i}]`, x, steps)),
    msPerStep: num(`${path}.msPerStep`, o.msPerStep),
    rates: perKind(`${path}.rates`, o.rates, positive),
  };
  if (o.nonFinite !== undefined) {
    const n = obj(`${path}.nonFinite`, o.nonFinite);
    p.nonFinite = {
      kind: kindOf(`${path}.nonFinite.kind`, n.kind),
      step: count(`${path}.nonFinite.step`, n.step),
      pair: str(`${path}.nonFinite.pair`, n.pair),
      quantity: str(`${path}.nonFinite.quantity`, n.quantity),
    };
  }
  if (o.error !== undefined) p.error = str(`${path}.error`, o.error);
  return p;
}

function invarianceStep(path: string, v: unknown): InvarianceStep {
  const o = obj(path, v);
  const cond = num(`${path}.cond`, o.cond);
  if (cond < 1) fail(`${path}.cond`, 'a condition number of at least 1', cond);
  const diff = loss(`${path}.diff`, o.diff);
  if (diff < 0) fail(`${path}.diff`, 'a relative difference of at least 0', diff);
  return {
    kind: kindOf(`${path}.kind`, o.kind),
    step: between(`${path}.step`, o.step, 1, MAX_DEMO_STEPS),
    diff,
    cond,
  };
}

function event(path: string, v: unknown): FinetuneEvent {
  const o = obj(path, v);
  const t = num(`${path}.t`, o.t);
  if (o.progress !== undefined) return { t, progress: progress(`${path}.progress`, o.progress) };
  if (o.invariance !== undefined)
    return { t, invariance: invarianceStep(`${path}.invariance`, o.invariance) };
  const s = obj(`${path}.sample`, o.sample);
  return {
    t,
    sample: {
      kind: kindOf(`${path}.sample.kind`, s.kind),
      text: str(`${path}.sample.text`, s.text),
    },
  };
}

/** Checks a parsed fine-tune recording (format and version already read). */
export function checkFinetuneRecording(o: Json): FinetuneRecording {
  const adapter = obj('recording.adapter', o.adapter);
  const events = arr('recording.events', o.events).map((e, i) =>
    event(`recording.events[${i}]`, e),
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
  if (!events.some((e) => 'progress' in e || 'invariance' in e)) {
    throw new RecordingError(
      'The recording has no fine-tune step and no invariance step: there is nothing to replay.',
    );
  }
  return {
    format: RECORDING_FORMAT,
    version: FINETUNE_RECORDING_VERSION,
    kind: 'finetune',
    title: str('recording.title', o.title),
    recordedAt: str('recording.recordedAt', o.recordedAt),
    adapter: {
      vendor: str('recording.adapter.vendor', adapter.vendor),
      architecture: str('recording.adapter.architecture', adapter.architecture),
      description: str('recording.adapter.description', adapter.description),
    },
    base: base('recording.base', o.base),
    form: form('recording.form', o.form),
    events,
  };
}
