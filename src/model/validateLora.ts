import { MAX_LORA_RANK } from '../optim/loraOptimizer';
import type { GPTConfig } from './config';
import { LORA_TARGETS, type LoraSettings } from './lora';
import { buildParamTable, tensor } from './params';

/** The model a fine-tuning run starts from: its parameters (params.ts layout), and its config when known. */
export interface LoraBase {
  config?: GPTConfig;
  params: Float32Array;
}

const CONFIG_FIELDS: [keyof GPTConfig, string][] = [
  ['vocabSize', 'vocab_size'],
  ['blockSize', 'block_size'],
  ['nLayer', 'n_layer'],
  ['nHead', 'n_head'],
  ['nEmbd', 'n_embd'],
];

/**
 * Every problem with LoRA settings and the base they adapt, as messages a user can act on;
 * empty when fine-tuning may start. Runs before anything is allocated on the GPU.
 */
export function validateLora(config: GPTConfig, settings: LoraSettings, base?: LoraBase): string[] {
  const errors: string[] = [];
  const { rank, alpha, targets } = settings;
  const known: readonly string[] = LORA_TARGETS;
  const unknown = targets.filter((t) => !known.includes(t));
  for (const t of unknown)
    errors.push(`Unknown LoRA target "${t}": choose from ${LORA_TARGETS.join(', ')}.`);
  if (targets.length === 0)
    errors.push(`No layer to adapt: choose at least one LoRA target (${LORA_TARGETS.join(', ')}).`);
  if (!Number.isInteger(rank) || rank < 1) {
    errors.push(`LoRA rank (${rank}) must be a whole number from 1 to ${MAX_LORA_RANK}.`);
  } else if (rank > MAX_LORA_RANK) {
    errors.push(
      `LoRA rank (${rank}) is above ${MAX_LORA_RANK}, the largest the optimizers keep in one workgroup: choose ${MAX_LORA_RANK} or less.`,
    );
  } else if (unknown.length === 0) {
    const params = buildParamTable(config);
    for (const t of targets) {
      const [m, n] = tensor(params, `h.0.${t}.weight`).shape;
      const size = Math.min(m, n);
      if (rank > size)
        errors.push(
          `LoRA rank (${rank}) is above the size of ${t} (${m} x ${n}): its update cannot have rank above ${size}. Choose a rank of ${size} or less, or drop ${t} from the targets.`,
        );
    }
  }
  if (!(alpha > 0) || !Number.isFinite(alpha))
    errors.push(
      `LoRA alpha (${alpha}) must be a number above 0: the update is scaled by alpha / rank (alpha = rank gives scale 1).`,
    );
  if (base) errors.push(...validateBase(config, base));
  return errors;
}

function validateBase(config: GPTConfig, base: LoraBase): string[] {
  const errors: string[] = [];
  if (base.config) {
    const given = base.config;
    const differ = CONFIG_FIELDS.filter(([k]) => given[k] !== config[k]);
    if (differ.length > 0) {
      const list = differ.map(([k, label]) => `${label} ${given[k]} (settings: ${config[k]})`);
      errors.push(
        `The base model's shape does not match the model settings: ${list.join(', ')}. Pick a base trained with these settings, or set the model settings to the base's.`,
      );
      return errors;
    }
  }
  const table = buildParamTable(config);
  if (base.params.length !== table.totalLength) {
    errors.push(
      `The base has ${base.params.length} parameter floats, but a GPT with these settings has ${table.totalLength}: it was trained with other sizes. Pick a base trained with these model settings.`,
    );
    return errors;
  }
  const bad = table.tensors.find((t) =>
    base.params.subarray(t.offset, t.offset + t.length).some((x) => !Number.isFinite(x)),
  );
  if (bad)
    errors.push(
      `The base holds NaN or infinite values (first in ${bad.name}): its training diverged. Pick another base, or retrain it with a lower learning rate.`,
    );
  return errors;
}
