// The training form: its fields as typed (strings, so "0." or "" can sit in a field while the
// user types), how they become settings, and every problem with them, in words a user can act on.

import { type TokenizerName, VOCAB_SIZES } from '../data/tokenizerTypes';
import { type GPTConfig, PRESETS, type Preset, type TrainConfig } from '../model/config';
import { validateSettings } from '../model/validate';
import type { TrainSettings } from '../worker/protocol';

export type PresetId = Preset['id'];

type ModelKey = 'nLayer' | 'nHead' | 'nEmbd' | 'blockSize';
type TrainKey =
  | 'batchSize'
  | 'gradAccumSteps'
  | 'maxSteps'
  | 'learningRate'
  | 'minLearningRate'
  | 'warmupSteps'
  | 'weightDecay'
  | 'beta1'
  | 'beta2'
  | 'gradClip'
  | 'seed'
  | 'evalInterval'
  | 'evalBatches';
export type FieldKey = ModelKey | TrainKey;

export interface FieldSpec {
  key: FieldKey;
  /** As nanoGPT and the validation messages name it. */
  label: string;
  /** What it does and its usual range. */
  hint: string;
  /** The input's step: 1 for counts, "any" for rates. */
  step: '1' | 'any';
}

export const MODEL_FIELDS: readonly FieldSpec[] = [
  { key: 'nLayer', label: 'n_layer', hint: 'Transformer blocks stacked; 2 to 12.', step: '1' },
  {
    key: 'nHead',
    label: 'n_head',
    hint: 'Attention heads per block; must divide n_embd. 2 to 12.',
    step: '1',
  },
  {
    key: 'nEmbd',
    label: 'n_embd',
    hint: 'Width of every token vector; a multiple of n_head. 64 to 768.',
    step: '1',
  },
  {
    key: 'blockSize',
    label: 'block_size',
    hint: 'Context length in tokens the model sees at once; 64 to 1024.',
    step: '1',
  },
];

export const TRAIN_FIELDS: readonly FieldSpec[] = [
  {
    key: 'batchSize',
    label: 'batch size',
    hint: 'Sequences per micro-batch; memory grows with it. 4 to 64.',
    step: '1',
  },
  {
    key: 'gradAccumSteps',
    label: 'gradient accumulation steps',
    hint: 'Micro-batches summed per update: a bigger batch without more memory. 1 to 8.',
    step: '1',
  },
  {
    key: 'maxSteps',
    label: 'max steps',
    hint: 'Optimizer updates in the run; 30 to 5000.',
    step: '1',
  },
  {
    key: 'learningRate',
    label: 'learning rate',
    hint: 'Peak AdamW step size after warmup; 1e-4 to 3e-3 (smaller for bigger models).',
    step: 'any',
  },
  {
    key: 'minLearningRate',
    label: 'min learning rate',
    hint: 'Where the cosine decay ends; about a tenth of the learning rate.',
    step: 'any',
  },
  {
    key: 'warmupSteps',
    label: 'warmup steps',
    hint: 'Steps over which the rate ramps up from 0; 0 to a few percent of max steps.',
    step: '1',
  },
  {
    key: 'weightDecay',
    label: 'weight decay',
    hint: 'AdamW decay of matrices and embeddings (not biases or norms); 0 to 0.1.',
    step: 'any',
  },
  {
    key: 'beta1',
    label: 'beta1',
    hint: "AdamW's momentum: how long the gradient's running mean remembers; 0.9 usual.",
    step: 'any',
  },
  {
    key: 'beta2',
    label: 'beta2',
    hint: 'How long the squared gradient is remembered; 0.95 for GPTs, 0.999 slower.',
    step: 'any',
  },
  {
    key: 'gradClip',
    label: 'gradient clip',
    hint: 'Largest global gradient norm; steadies early training. 1.0 usual, 0 turns it off.',
    step: 'any',
  },
  {
    key: 'seed',
    label: 'seed',
    hint: 'Fixes initial weights and data order: same seed, same run.',
    step: '1',
  },
  {
    key: 'evalInterval',
    label: 'evaluation interval',
    hint: 'Validation loss every N steps; 0 turns it off. 10 to 250.',
    step: '1',
  },
  {
    key: 'evalBatches',
    label: 'evaluation batches',
    hint: 'Validation batches averaged per evaluation; 1 to 20 (more is steadier, slower).',
    step: '1',
  },
];

export const FIELDS: readonly FieldSpec[] = [...MODEL_FIELDS, ...TRAIN_FIELDS];

export type SettingsForm = Record<FieldKey, string>;

export function presetOf(id: PresetId): Preset {
  return PRESETS.find((p) => p.id === id)!;
}

export function formFromPreset(preset: Preset): SettingsForm {
  const values: Record<FieldKey, number> = { ...preset.model, ...preset.train };
  return Object.fromEntries(FIELDS.map((f) => [f.key, String(values[f.key])])) as SettingsForm;
}

/** A blank field is NaN, which validation reports as not a number rather than as 0. */
function parse(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

/** The run the form describes: the chosen tokenizer and its vocabulary, the edited rest. */
export function settingsFromForm(
  presetId: PresetId,
  form: SettingsForm,
  tokenizer: TokenizerName,
): TrainSettings {
  const preset = presetOf(presetId);
  const n = (key: FieldKey) => parse(form[key]);
  const model: GPTConfig = {
    vocabSize: VOCAB_SIZES[tokenizer],
    nLayer: n('nLayer'),
    nHead: n('nHead'),
    nEmbd: n('nEmbd'),
    blockSize: n('blockSize'),
  };
  const train: TrainConfig = {
    ...preset.train,
    batchSize: n('batchSize'),
    gradAccumSteps: n('gradAccumSteps'),
    maxSteps: n('maxSteps'),
    learningRate: n('learningRate'),
    minLearningRate: n('minLearningRate'),
    warmupSteps: n('warmupSteps'),
    weightDecay: n('weightDecay'),
    beta1: n('beta1'),
    beta2: n('beta2'),
    gradClip: n('gradClip'),
    seed: n('seed'),
    evalInterval: n('evalInterval'),
    evalBatches: n('evalBatches'),
  };
  return { tokenizer, model, train };
}

export interface DeviceLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/** Every problem with the settings; empty when Train may be pressed. */
export function validateForm(
  s: TrainSettings,
  limits?: DeviceLimits,
  trainTokens?: number,
): string[] {
  const errors = validateSettings(s.model, s.train, limits, trainTokens);
  const { evalBatches, evalInterval } = s.train;
  if (evalInterval > 0 && !(Number.isInteger(evalBatches) && evalBatches > 0)) {
    errors.push(`evaluation batches must be a whole number of at least 1 (got ${evalBatches}).`);
  }
  return errors;
}

export interface SampleForm {
  prompt: string;
  maxNewTokens: string;
  temperature: string;
  topK: string;
}

export const SAMPLE_DEFAULTS: SampleForm = {
  prompt: 'The ',
  maxNewTokens: '100',
  temperature: '0.8',
  topK: '40',
};

/** The sampling options, or the problems with them. */
export function parseSampleForm(
  f: SampleForm,
):
  | { ok: true; maxNewTokens: number; temperature: number; topK: number }
  | { ok: false; errors: string[] } {
  const maxNewTokens = parse(f.maxNewTokens);
  const temperature = parse(f.temperature);
  const topK = parse(f.topK);
  const errors: string[] = [];
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 1 && maxNewTokens <= 1000))
    errors.push(
      `tokens to generate must be a whole number from 1 to 1000 (got ${f.maxNewTokens}).`,
    );
  if (!(temperature >= 0)) errors.push(`temperature must be 0 or more (got ${f.temperature}).`);
  if (!(Number.isInteger(topK) && topK >= 0))
    errors.push(`top-k must be a whole number, 0 for no limit (got ${f.topK}).`);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, maxNewTokens, temperature, topK };
}
