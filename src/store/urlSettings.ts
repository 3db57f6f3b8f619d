// The run's settings as a readable URL query, as TensorFlow Playground keeps its state
// (?preset=tiny&lr=0.001&steps=200&seed=42), so a link reproduces an experiment; and a
// classroom's hide= and lock= lists, so a teacher's link opens exactly the exercise.
// Pure: reading and writing the page's URL is done by the actions.

import type { TokenizerName } from '../data/tokenizerTypes';
import { PRESETS } from '../model/config';
import { clip } from '../util/preview';
import type { DataChoice } from '../worker/protocol';
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
};

/** Controls a link can fix; the LFR and LoRA views read 'lfr' and 'lora' themselves. */
const LOCKABLE: readonly string[] = [
  'preset',
  'tokenizer',
  'data',
  ...Object.values(URL_KEYS),
  ...Object.keys(SECTIONS),
  'lfr',
  'lora',
];

/** And the panels a link can only hide. */
const HIDEABLE: readonly string[] = [...LOCKABLE, 'sampling', 'gpu', 'checks'];

const TOKENIZERS: readonly TokenizerName[] = ['byte', 'gpt2'];
const DATA_CHOICES: readonly DataChoice[] = ['openwebtext', 'user'];
const PRESET_IDS: readonly PresetId[] = PRESETS.map((p) => p.id);

const FIELD_BY_URL_KEY = new Map(FIELDS.map((f) => [URL_KEYS[f.key], f.key]));

/** What the link reads, in the order it writes them. */
const KNOWN_KEYS: readonly string[] = [
  'preset',
  'tokenizer',
  'data',
  ...Object.values(URL_KEYS),
  'hide',
  'lock',
];

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

/** Reads a query string (with or without its "?"); every problem becomes a message naming the key. */
export function parseSettingsUrl(query: string): UrlSettings {
  const params = new URLSearchParams(query);
  const out: UrlSettings = { form: {}, hide: [], lock: [], messages: [] };
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
    } else if (FIELD_BY_URL_KEY.has(key)) {
      const field = FIELD_BY_URL_KEY.get(key)!;
      const rule = URL_RULES[field];
      const v = value.trim() === '' ? Number.NaN : Number(value);
      if (fits(rule, v)) {
        out.form[field] = String(v);
      } else {
        // The last one counts, also when it is bad: an earlier value must not stand in for it.
        delete out.form[field];
        ignored(describeRule(rule));
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
  classroom: Classroom;
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
  for (const f of FIELDS) {
    const text = run.form[f.key].trim();
    const v = Number(text);
    if (text === '' || !Number.isFinite(v) || v === Number(base[f.key])) continue;
    parts.push([URL_KEYS[f.key], String(v)]);
  }
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
