// The run's settings as a readable URL query, as TensorFlow Playground keeps its state
// (?preset=tiny&lr=0.001&steps=200&seed=42), so a link reproduces an experiment; and a
// classroom's hide= and lock= lists, so a teacher's link opens exactly the exercise.
// Pure: reading and writing the page's URL is done by the actions.

import type { TokenizerName } from '../data/tokenizerTypes';
import { PRESETS } from '../model/config';
import { LORA_TARGETS, type LoraTarget } from '../model/lora';
import { clip } from '../util/preview';
import type { DataChoice } from '../worker/protocol';
import { defaultFinetuneForm, type FinetuneFieldKey, type FinetuneForm } from './finetuneSlice';
import { defaultLfrForm, type LfrFieldKey, type LfrForm } from './lfrSlice';
import {
  FIELDS,
  type FieldKey,
  formFromPreset,
  MODEL_FIELDS,
  type PresetId,
  type SettingsForm,
  TRAIN_FIELDS,
} from './settingsForm';

/** Each form field's name in the URL: short, and as nanoGPT names it where it can. */
export const URL_KEYS: Readonly<Record<FieldKey, string>> = {
  nLayer: 'n_layer',
  nHead: 'n_head',
  nEmbd: 'n_embd',
  blockSize: 'block_size',
  batchSize: 'batch',
  gradAccumSteps: 'accum',
  maxSteps: 'steps',
  learningRate: 'lr',
  minLearningRate: 'min_lr',
  warmupSteps: 'warmup',
  weightDecay: 'wd',
  beta1: 'beta1',
  beta2: 'beta2',
  gradClip: 'clip',
  seed: 'seed',
  evalInterval: 'eval_interval',
  evalBatches: 'eval_batches',
};

/** What a link may set a field to: wide enough for any sensible run, narrow enough to catch typos. */
export interface NumberRule {
  integer: boolean;
  min: number;
  /** The minimum itself is not allowed. */
  above?: boolean;
  max: number;
  /** The maximum itself is not allowed. */
  below?: boolean;
}

const count = (min: number, max: number): NumberRule => ({ integer: true, min, max });

export const URL_RULES: Readonly<Record<FieldKey, NumberRule>> = {
  nLayer: count(1, 48),
  nHead: count(1, 64),
  nEmbd: count(1, 4096),
  blockSize: count(1, 1024),
  batchSize: count(1, 1024),
  gradAccumSteps: count(1, 1024),
  maxSteps: count(1, 1_000_000),
  learningRate: { integer: false, min: 0, above: true, max: 1 },
  minLearningRate: { integer: false, min: 0, max: 1 },
  warmupSteps: count(0, 1_000_000),
  weightDecay: { integer: false, min: 0, max: 10 },
  beta1: { integer: false, min: 0, above: true, max: 1, below: true },
  beta2: { integer: false, min: 0, above: true, max: 1, below: true },
  gradClip: { integer: false, min: 0, max: 1000 },
  seed: count(0, 0xffffffff),
  evalInterval: count(0, 1_000_000),
  evalBatches: count(1, 1000),
};

function describeRule(r: NumberRule): string {
  const kind = r.integer ? 'a whole number' : 'a number';
  if (!r.above && !r.below) return `${kind} from ${r.min} to ${r.max}`;
  return `${kind} ${r.above ? 'above' : 'of at least'} ${r.min} and ${r.below ? 'below' : 'at most'} ${r.max}`;
}

/** Whether `v` is a value the rule allows. */
export function fits(r: NumberRule, v: number): boolean {
  if (!Number.isFinite(v) || (r.integer && !Number.isInteger(v))) return false;
  const low = r.above ? v > r.min : v >= r.min;
  const high = r.below ? v < r.max : v <= r.max;
  return low && high;
}

/** The LFR schedule's fields in the URL. */
export const LFR_URL_KEYS: Readonly<Record<LfrFieldKey, string>> = {
  p1: 'lfr_p1',
  s1: 'lfr_s1',
  p2: 'lfr_p2',
  p3: 'lfr_p3',
  s2: 'lfr_s2',
  p4: 'lfr_p4',
  reps: 'lfr_reps',
  blocks: 'lfr_blocks',
};

const percent: NumberRule = { integer: false, min: 0, max: 100, below: true };

export const LFR_URL_RULES: Readonly<Record<LfrFieldKey, NumberRule>> = {
  p1: count(1, 1000),
  s1: percent,
  p2: count(0, 1000),
  p3: count(1, 1000),
  s2: percent,
  p4: count(0, 1000),
  reps: count(0, 1000),
  blocks: count(0, 1_000_000_000),
};

/** The LoRA fine-tune's and invariance demo's fields in the URL. */
export const LORA_URL_KEYS: Readonly<Record<FinetuneFieldKey, string>> = {
  rank: 'lora_rank',
  alpha: 'lora_alpha',
  lr: 'lora_lr',
  riteLr: 'lora_rite_lr',
  warmup: 'lora_warmup',
  steps: 'lora_steps',
  batchSize: 'lora_batch',
  seed: 'lora_seed',
  matrixSeed: 'lora_s_seed',
  demoSteps: 'lora_demo_steps',
};

export const LORA_URL_RULES: Readonly<Record<FinetuneFieldKey, NumberRule>> = {
  rank: count(1, 32),
  alpha: { integer: false, min: 0, above: true, max: 10_000 },
  lr: { integer: false, min: 0, above: true, max: 1 },
  riteLr: { integer: false, min: 0, above: true, max: 1 },
  warmup: count(0, 1_000_000),
  steps: count(1, 1_000_000),
  batchSize: count(1, 1024),
  seed: count(0, 0xffffffff),
  matrixSeed: count(0, 0xffffffff),
  demoSteps: count(1, 1000),
};

/** The form a choice belongs to, and the values a link may pick. */
const CHOICES = {
  schedule: ['random', 'lfr'],
  lora_text: ['heldout', 'user'],
  lora_optimizer: ['both', 'adam', 'rite'],
  lora_order: ['interleaved', 'sequential'],
  lora_escaped_mass: ['on', 'off'],
  lora_decay: ['constant', 'cosine'],
  lora_separate_rates: ['off', 'on'],
  lora_s: ['scalar', 'diagonal', 'orthogonal', 'general'],
} as const;

export type ChoiceKey = keyof typeof CHOICES;
export type Choices = { [K in ChoiceKey]?: (typeof CHOICES)[K][number] };
const CHOICE_KEYS = Object.keys(CHOICES) as ChoiceKey[];

/** Each choice as the forms hold it. */
function choicesOf(lfr: LfrForm, ft: FinetuneForm): Required<Choices> {
  return {
    schedule: lfr.schedule,
    lora_text: ft.text,
    lora_optimizer: ft.optimizer,
    lora_order: ft.order,
    lora_escaped_mass: ft.escapedMass ? 'on' : 'off',
    lora_decay: ft.decay,
    lora_separate_rates: ft.separateRates ? 'on' : 'off',
    lora_s: ft.matrix,
  };
}

/** The forms with a link's choices and values applied. */
export function applyLinkedForms(
  lfr: LfrForm,
  ft: FinetuneForm,
  url: Pick<UrlSettings, 'choices' | 'lfr' | 'lora' | 'loraTargets'>,
): { lfrForm: LfrForm; finetuneForm: FinetuneForm } {
  const c = { ...choicesOf(lfr, ft), ...url.choices };
  return {
    lfrForm: { schedule: c.schedule, values: { ...lfr.values, ...url.lfr } },
    finetuneForm: {
      ...ft,
      text: c.lora_text,
      optimizer: c.lora_optimizer,
      order: c.lora_order,
      escapedMass: c.lora_escaped_mass === 'on',
      decay: c.lora_decay,
      separateRates: c.lora_separate_rates === 'on',
      matrix: c.lora_s,
      targets: url.loraTargets ?? ft.targets,
      values: { ...ft.values, ...url.lora },
    },
  };
}

const fieldUrlKeys = (keys: readonly FieldKey[]) => keys.map((k) => URL_KEYS[k]);
const specUrlKeys = (specs: typeof FIELDS) => specs.map((f) => URL_KEYS[f.key]);

/**
 * Sections of the form, by the names a link hides or locks them by: hiding or locking a section
 * does so to each control in it. A control may sit in several (lr is training and optimizer).
 */
export const SECTIONS: Readonly<Record<string, readonly string[]>> = {
  model: ['tokenizer', ...specUrlKeys(MODEL_FIELDS)],
  training: specUrlKeys(TRAIN_FIELDS),
  optimizer: fieldUrlKeys([
    'learningRate',
    'minLearningRate',
    'warmupSteps',
    'weightDecay',
    'beta1',
    'beta2',
    'gradClip',
  ]),
  evaluation: fieldUrlKeys(['evalInterval', 'evalBatches']),
  lfr: ['schedule', ...Object.values(LFR_URL_KEYS)],
  lora: [
    'lora_text',
    'lora_rank',
    'lora_alpha',
    'lora_targets',
    'lora_optimizer',
    'lora_order',
    'lora_lr',
    'lora_separate_rates',
    'lora_rite_lr',
    'lora_warmup',
    'lora_decay',
    'lora_steps',
    'lora_batch',
    'lora_seed',
    'lora_escaped_mass',
    'lora_s',
    'lora_s_seed',
    'lora_demo_steps',
  ],
};

/** Every control a link can set, fix or hide, by its name in the link. */
export const CONTROLS: readonly string[] = [
  'preset',
  'tokenizer',
  'data',
  ...Object.values(URL_KEYS),
  ...SECTIONS.lfr,
  ...SECTIONS.lora,
];

/** Controls a link can fix, and the sections. */
const LOCKABLE: readonly string[] = [...CONTROLS, ...Object.keys(SECTIONS)];

/** And the panels a link can only hide. */
export const PANELS: readonly string[] = ['sampling', 'gpu', 'checks'];
const HIDEABLE: readonly string[] = [...LOCKABLE, ...PANELS];

const TOKENIZERS: readonly TokenizerName[] = ['byte', 'gpt2'];
const DATA_CHOICES: readonly DataChoice[] = ['openwebtext', 'user'];
const PRESET_IDS: readonly PresetId[] = PRESETS.map((p) => p.id);

/** A numeric field by its name in the link: which form holds it, and its rule. */
type LinkedField =
  | { form: 'form'; key: FieldKey; rule: NumberRule }
  | { form: 'lfr'; key: LfrFieldKey; rule: NumberRule }
  | { form: 'lora'; key: FinetuneFieldKey; rule: NumberRule };

const FIELD_BY_URL_KEY = new Map<string, LinkedField>([
  ...FIELDS.map((f): [string, LinkedField] => [
    URL_KEYS[f.key],
    { form: 'form', key: f.key, rule: URL_RULES[f.key] },
  ]),
  ...(Object.keys(LFR_URL_KEYS) as LfrFieldKey[]).map((k): [string, LinkedField] => [
    LFR_URL_KEYS[k],
    { form: 'lfr', key: k, rule: LFR_URL_RULES[k] },
  ]),
  ...(Object.keys(LORA_URL_KEYS) as FinetuneFieldKey[]).map((k): [string, LinkedField] => [
    LORA_URL_KEYS[k],
    { form: 'lora', key: k, rule: LORA_URL_RULES[k] },
  ]),
]);

/** What the link reads. */
const KNOWN_KEYS: readonly string[] = [...CONTROLS, 'hide', 'lock'];

/** A classroom link's hidden and fixed controls, and what was wrong with the link. */
export interface Classroom {
  /** Names as in the link: controls, sections or panels. */
  hidden: readonly string[];
  locked: readonly string[];
  /** One per bad part of the link; the rest of it applied. */
  messages: readonly string[];
}

export const NO_CLASSROOM: Classroom = { hidden: [], locked: [], messages: [] };

/** What a link asks for: only what it names, each part checked. */
export interface UrlSettings {
  preset?: PresetId;
  tokenizer?: TokenizerName;
  data?: DataChoice;
  /** Values as the form holds them (text), each within its rule. */
  form: Partial<SettingsForm>;
  lfr: Partial<Record<LfrFieldKey, string>>;
  lora: Partial<Record<FinetuneFieldKey, string>>;
  choices: Choices;
  loraTargets?: LoraTarget[];
  hide: string[];
  lock: string[];
  messages: string[];
}

/** At most this many messages about one link: a link of 100,000 bad names says so in one line. */
export const MAX_LINK_MESSAGES = 10;

const oneOf = (names: readonly string[]) =>
  names.length <= 2
    ? names.join(' or ')
    : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;

/** Messages about a link: at most MAX_LINK_MESSAGES, the last summarising any beyond. */
class LinkProblems {
  private readonly messages: string[] = [];
  private more = 0;

  /** `message` is made only when it may be shown: 100,000 of them would take seconds. */
  add(message: () => string): void {
    if (this.messages.length < MAX_LINK_MESSAGES) this.messages.push(message());
    else this.more++;
  }

  all(): string[] {
    if (this.more === 0) return this.messages;
    const summary = `…and ${(this.more + 1).toLocaleString('en-US')} more problems with this link, ignored in the same way.`;
    return [...this.messages.slice(0, -1), summary];
  }
}

function parseList(
  key: 'hide' | 'lock',
  value: string,
  allowed: readonly string[],
  problems: LinkProblems,
) {
  const names: string[] = [];
  for (const raw of value.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (!allowed.includes(name)) {
      problems.add(
        () =>
          `Link setting ${key}=${clip(name)} ignored: "${clip(name)}" is not something the studio can ${key}. ${key} takes a comma list of ${oneOf(allowed)}.`,
      );
    } else if (!names.includes(name)) {
      names.push(name);
    }
  }
  return names;
}

function setChoice<K extends ChoiceKey>(
  choices: Choices,
  key: K,
  value: string,
  ignored: (allowed: string) => void,
) {
  const allowed: readonly string[] = CHOICES[key];
  if (allowed.includes(value)) choices[key] = value as Choices[K];
  else {
    delete choices[key];
    ignored(oneOf(allowed));
  }
}

/** Reads a query string (with or without its "?"); every problem becomes a message naming the key. */
export function parseSettingsUrl(query: string): UrlSettings {
  const params = new URLSearchParams(query);
  const out: UrlSettings = {
    form: {},
    lfr: {},
    lora: {},
    choices: {},
    hide: [],
    lock: [],
    messages: [],
  };
  const problems = new LinkProblems();
  const seen = new Set<string>();
  for (const [key, value] of params) {
    if (seen.has(key)) {
      problems.add(() => `Link setting ${clip(key)} is given more than once: the last one counts.`);
    }
    seen.add(key);
    const ignored = (allowed: string) =>
      problems.add(
        () => `Link setting ${clip(key)}=${clip(value)} ignored: ${key} takes ${allowed}.`,
      );
    if (key === 'preset') {
      if (PRESET_IDS.includes(value as PresetId)) out.preset = value as PresetId;
      else ignored(oneOf(PRESET_IDS));
    } else if (key === 'tokenizer') {
      if (TOKENIZERS.includes(value as TokenizerName)) out.tokenizer = value as TokenizerName;
      else ignored(oneOf(TOKENIZERS));
    } else if (key === 'data') {
      if (DATA_CHOICES.includes(value as DataChoice)) out.data = value as DataChoice;
      else ignored(oneOf(DATA_CHOICES));
    } else if (key === 'hide') {
      out.hide = parseList('hide', value, HIDEABLE, problems);
    } else if (key === 'lock') {
      out.lock = parseList('lock', value, LOCKABLE, problems);
    } else if (CHOICE_KEYS.includes(key as ChoiceKey)) {
      setChoice(out.choices, key as ChoiceKey, value, ignored);
    } else if (key === 'lora_targets') {
      const names = value.split(',').filter((n) => n !== '');
      const bad = names.filter((n) => !LORA_TARGETS.includes(n as LoraTarget));
      if (bad.length === 0 && names.length > 0) out.loraTargets = names as LoraTarget[];
      else ignored(`a comma list of ${oneOf(LORA_TARGETS)}`);
    } else if (FIELD_BY_URL_KEY.has(key)) {
      const field = FIELD_BY_URL_KEY.get(key)!;
      const values: Partial<Record<string, string>> = out[field.form];
      const v = value.trim() === '' ? Number.NaN : Number(value);
      if (fits(field.rule, v)) {
        values[field.key] = String(v);
      } else {
        // The last one counts, also when it is bad: an earlier value must not stand in for it.
        delete values[field.key];
        ignored(describeRule(field.rule));
      }
    } else {
      problems.add(
        () =>
          `Link setting ${clip(key)}=${clip(value)} ignored: the studio does not know "${clip(key)}". It reads ${oneOf(KNOWN_KEYS)}.`,
      );
    }
  }
  out.messages = problems.all();
  return out;
}

/** The run as a link describes it. */
export interface LinkedRun {
  presetId: PresetId;
  tokenizer: TokenizerName;
  form: SettingsForm;
  dataChoice: DataChoice;
  lfrForm: LfrForm;
  finetuneForm: FinetuneForm;
  classroom: Classroom;
}

/** The fields of `values` that are numbers other than the default's, as `[urlKey, number]`. */
function changedNumbers<K extends string>(
  keys: readonly K[],
  values: Readonly<Record<K, string>>,
  defaults: Readonly<Record<K, string>>,
  urlKey: (k: K) => string,
): [string, string][] {
  const parts: [string, string][] = [];
  for (const k of keys) {
    const text = values[k].trim();
    const v = Number(text);
    if (text === '' || !Number.isFinite(v) || v === Number(defaults[k])) continue;
    parts.push([urlKey(k), String(v)]);
  }
  return parts;
}

// Commas stay readable in lists (hide=model,lr); every other special character is escaped.
const encode = (v: string) => encodeURIComponent(v).replace(/%2C/g, ',');

/**
 * The query for a run, without "?": the preset, then only what differs from it (as numbers,
 * so "0.0010" and "1e-3" both read lr=0.001), then the classroom's lists. A field that is not a
 * number yet (mid-typing) is left out.
 */
export function serializeSettingsUrl(run: LinkedRun): string {
  const preset = PRESETS.find((p) => p.id === run.presetId)!;
  const base = formFromPreset(preset);
  const parts: [string, string][] = [['preset', run.presetId]];
  if (run.tokenizer !== preset.tokenizer) parts.push(['tokenizer', run.tokenizer]);
  if (run.dataChoice !== 'openwebtext') parts.push(['data', run.dataChoice]);
  parts.push(
    ...changedNumbers(
      FIELDS.map((f) => f.key),
      run.form,
      base,
      (k) => URL_KEYS[k],
    ),
  );
  const lfr0 = defaultLfrForm();
  const ft0 = defaultFinetuneForm();
  const now = choicesOf(run.lfrForm, run.finetuneForm);
  const before = choicesOf(lfr0, ft0);
  const choice = (k: ChoiceKey) => {
    if (now[k] !== before[k]) parts.push([k, now[k]]);
  };
  choice('schedule');
  parts.push(
    ...changedNumbers(
      Object.keys(LFR_URL_KEYS) as LfrFieldKey[],
      run.lfrForm.values,
      lfr0.values,
      (k) => LFR_URL_KEYS[k],
    ),
  );
  for (const k of CHOICE_KEYS) if (k !== 'schedule') choice(k);
  const targets = run.finetuneForm.targets;
  if (targets.length !== ft0.targets.length || targets.some((t, i) => t !== ft0.targets[i]))
    parts.push(['lora_targets', targets.join(',')]);
  parts.push(
    ...changedNumbers(
      Object.keys(LORA_URL_KEYS) as FinetuneFieldKey[],
      run.finetuneForm.values,
      ft0.values,
      (k) => LORA_URL_KEYS[k],
    ),
  );
  if (run.classroom.hidden.length > 0) parts.push(['hide', run.classroom.hidden.join(',')]);
  if (run.classroom.locked.length > 0) parts.push(['lock', run.classroom.locked.join(',')]);
  return parts.map(([k, v]) => `${k}=${encode(v)}`).join('&');
}

/** The sections a control belongs to. */
function sectionsOf(name: string): string[] {
  return Object.keys(SECTIONS).filter((s) => SECTIONS[s].includes(name));
}

/** Hidden by name or through a section it is in. */
export function isHidden(c: Classroom, name: string): boolean {
  return c.hidden.includes(name) || sectionsOf(name).some((s) => c.hidden.includes(s));
}

/** Shown but fixed, by name or through a section it is in. */
export function isLocked(c: Classroom, name: string): boolean {
  return c.locked.includes(name) || sectionsOf(name).some((s) => c.locked.includes(s));
}

/** A section is drawn while any of its controls is. */
export function isSectionHidden(c: Classroom, section: string): boolean {
  return isHidden(c, section) || (SECTIONS[section]?.every((n) => isHidden(c, n)) ?? false);
}

/**
 * Controls the student cannot change, so a new preset must not change them either: the locked,
 * and the hidden (a student cannot see, let alone correct, what a preset would do to them).
 */
export function isFixed(c: Classroom, name: string): boolean {
  return isLocked(c, name) || isHidden(c, name);
}

/** The fields a preset change keeps. */
export function fixedFields(c: Classroom): FieldKey[] {
  return FIELDS.map((f) => f.key).filter((k) => isFixed(c, URL_KEYS[k]));
}
