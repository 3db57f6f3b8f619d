// A saved run as a folder PyTorch continues (python/continue_run.py): the model and config.json
// (the Hugging Face export), AdamW's moments in the same names and layout, the training settings
// with the schedule's position, the token stream, and for a scheduled (LFR) run its replay file.
// Pure: checkpoint and data in, files out; the UI zips them, the CLI writes them.
import type { CheckpointLfr, CheckpointLfrPlan, CheckpointParts } from '../checkpoint/format';
import { BatchSampler } from '../data/blocks';
import { type Manifest, streamFromEntry, type TokenStream, tokenStream } from '../data/dataset';
import type { Tokenizer } from '../data/tokenizerTypes';
import { scheduleForArm } from '../lfr/arms';
import { exportSchedule, replayData, SHUFFLE_RULE } from '../lfr/export';
import { chosenBlocks, firstBlocks } from '../lfr/firstBlocks';
import { buildParamTable } from '../model/params';
import { learningRateAt } from '../train/lrSchedule';
import { exportHfGpt2 } from './hfGpt2';
import { type NamedTensor, readSafetensors, tensorFloats, writeSafetensors } from './safetensors';

export const PYTORCH_RUN_FORMAT = 'webgpu-training-studio/pytorch-run';
export const PYTORCH_RUN_VERSION = 1;

/** The run's training data as the studio trained on it. */
export interface PytorchRunData {
  /** The whole train split (a scheduled run's blocks are its first ones). */
  train: TokenStream;
  tokenizer: Tokenizer;
  /** The shipped file it came from (name and sha256, as in manifest.json); null for your own text. */
  shipped: { file: string; sha256: string } | null;
}

export interface RunFile {
  name: string;
  bytes: Uint8Array;
}

/** A scheduled run's checkpoint payload with its plan (the decoder has checked both). */
type SavedSchedule = CheckpointLfr & { plan: CheckpointLfrPlan };

const HF_NAME = (name: string) => (name === 'wte' || name === 'wpe' ? `${name}.weight` : name);
const encoder = new TextEncoder();
const json = (name: string, value: unknown): RunFile => ({
  name,
  bytes: encoder.encode(`${JSON.stringify(value, null, 2)}\n`),
});

function savedSchedule(lfr: CheckpointLfr | null | undefined): SavedSchedule | null {
  if (!lfr) return null;
  const { plan, state } = lfr;
  if (!plan) {
    throw new Error(
      'This checkpoint has a data schedule without its plan (role, LFR settings, blocks), so its batches cannot be replayed: resume it in the studio and save it again.',
    );
  }
  return { plan, state };
}

// The schedule rebuilt at the checkpoint's position: its cuts so far and every decided step.
function rebuiltSchedule(parts: CheckpointParts, data: PytorchRunData, saved: SavedSchedule) {
  const { model, train } = parts.settings;
  const { maxBlocks, sampleBlocks } = saved.plan;
  const blocks = chosenBlocks(
    data.train,
    model.blockSize,
    maxBlocks,
    sampleBlocks ? train.seed : null,
  );
  const order = { batchSize: train.batchSize, accumSteps: train.gradAccumSteps, seed: train.seed };
  const schedule = scheduleForArm(saved.plan.role, blocks, saved.plan.lfr, order);
  schedule.restoreState(saved.state);
  return schedule;
}

// exp_avg and exp_avg_sq under the model's own names and layout (Conv1D transposed as the model).
function optimizerSafetensors(parts: CheckpointParts): Uint8Array {
  const { model } = parts.settings;
  const tensors: NamedTensor[] = [];
  for (const [prefix, moment] of [
    ['exp_avg', parts.m],
    ['exp_avg_sq', parts.v],
  ] as const) {
    for (const [name, t] of readSafetensors(exportHfGpt2(moment, model).safetensors).tensors) {
      tensors.push({
        name: `${prefix}.${name}`,
        shape: t.shape,
        data: tensorFloats(`${prefix}.${name}`, t),
      });
    }
  }
  return writeSafetensors(tensors, { format: 'pt', step: String(parts.step) });
}

function checkData(parts: CheckpointParts, data: PytorchRunData): void {
  const { settings } = parts;
  if (data.tokenizer.name !== settings.tokenizer) {
    throw new Error(
      `The run trained with the ${settings.tokenizer} tokenizer, but the data given is ${data.tokenizer.name} tokens: give the run's own data.`,
    );
  }
  if (data.train.tokens.length !== settings.data.trainTokens) {
    throw new Error(
      `The run trained on ${settings.data.trainTokens} tokens of ${settings.data.name}, but the data given has ${data.train.tokens.length}: give the run's own data.`,
    );
  }
}

/** The folder's files: model, optimizer state, training.json, train.bin, and schedule.json for a scheduled run. */
export async function pytorchRunFiles(
  parts: CheckpointParts,
  data: PytorchRunData,
): Promise<RunFile[]> {
  checkData(parts, data);
  const { model, train } = parts.settings;
  const saved = savedSchedule(parts.lfr);
  const schedule = saved ? rebuiltSchedule(parts, data, saved) : null;
  const tokens = await replayData(data.train, data.tokenizer);
  const hf = exportHfGpt2(parts.params, model);
  const table = buildParamTable(model);
  // A plain run's sampler, at the checkpoint's position (checked against the data here).
  const sampler = schedule
    ? null
    : new BatchSampler(
        firstBlocks(data.train, model.blockSize, 0),
        train.batchSize,
        train.seed,
        parts.sampler,
      ).state;
  const maxSteps = schedule ? schedule.totalSteps() : train.maxSteps;
  const training = {
    format: PYTORCH_RUN_FORMAT,
    version: PYTORCH_RUN_VERSION,
    step: parts.step,
    model,
    train: { ...train, maxSteps },
    lrSchedule: {
      rule: 'lr(s) for optimizer step s from 0: s < warmupSteps: learningRate * (s + 1) / warmupSteps; s >= maxSteps: minLearningRate; else minLearningRate + 0.5 * (1 + cos(pi * (s - warmupSteps) / max(1, maxSteps - warmupSteps))) * (learningRate - minLearningRate)',
      nextStep: parts.step,
      nextLr: learningRateAt(parts.step, { ...train, maxSteps }),
    },
    adamw: {
      betas: [train.beta1, train.beta2],
      eps: 1e-8,
      weightDecay: train.weightDecay,
      update:
        't = step + 1; m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2; p -= lr * ((m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps) + wd * p), wd only for the parameters in decay',
      decay: table.tensors.filter((t) => t.decay).map((t) => HF_NAME(t.name)),
      noDecay: table.tensors.filter((t) => !t.decay).map((t) => HF_NAME(t.name)),
      state:
        'optimizer.safetensors: exp_avg.<name> and exp_avg_sq.<name> in the layout of model.safetensors; step = the optimizer steps taken',
    },
    clip: {
      maxNorm: train.gradClip,
      rule: 'g *= min(1, maxNorm / (||g|| + 1e-6)) over every parameter at once; maxNorm 0: no clip',
    },
    loss: 'mean cross-entropy over the accumSteps x batchSize x blockSize targets of a step (each micro-batch the mean over its B x T, the step the mean of those)',
    data: {
      file: 'train.bin',
      ...tokens,
      source: data.shipped
        ? { kind: 'shipped', name: parts.settings.data.name, ...data.shipped }
        : { kind: 'user', name: parts.settings.data.name },
    },
    order: schedule
      ? {
          kind: 'schedule',
          file: 'schedule.json',
          role: saved!.plan.role,
          maxBlocks: saved!.plan.maxBlocks,
        }
      : {
          kind: 'sampler',
          ...sampler,
          rule: `Every block once per epoch; epoch e is Fisher-Yates over all block ids from the generator seeded (seed ^ imul(e + 1, 0x9e3779b9)) mod 2^32; the next block is order[cursor]; a batch at an epoch's end continues into the next epoch. ${SHUFFLE_RULE.generator}`,
        },
    history: parts.history,
  };
  const files: RunFile[] = [
    { name: 'model.safetensors', bytes: hf.safetensors },
    { name: 'config.json', bytes: encoder.encode(hf.configJson) },
    { name: 'optimizer.safetensors', bytes: optimizerSafetensors(parts) },
    json('training.json', training),
    { name: 'train.bin', bytes: tokenBytes(data.train) },
  ];
  if (schedule) files.push(json('schedule.json', exportSchedule(schedule, tokens)));
  return files;
}

/** The shipped slice's train split (from its manifest.json and a reader of its files). */
export async function shippedRunData(
  manifest: Manifest,
  read: (file: string) => Promise<Uint8Array<ArrayBuffer>>,
  tokenizer: Tokenizer,
): Promise<PytorchRunData> {
  const entry = manifest.splits.train[tokenizer.name];
  if (!entry) {
    throw new Error(`The shipped data has no train file for the ${tokenizer.name} tokenizer.`);
  }
  const train = await streamFromEntry('train', entry, await read(entry.file), tokenizer);
  return { train, tokenizer, shipped: { file: entry.file, sha256: entry.sha256 } };
}

/** Your own text's train tokens, as stored (or as a train.bin of little-endian ids). */
export function ownRunData(tokens: Uint8Array, tokenizer: Tokenizer): PytorchRunData {
  const ids =
    tokenizer.vocabSize <= 256
      ? tokens
      : new Uint16Array(tokens.slice().buffer, 0, Math.floor(tokens.byteLength / 2));
  return { train: tokenStream('train', ids, tokenizer), tokenizer, shipped: null };
}

const tokenBytes = (s: TokenStream) =>
  new Uint8Array(s.tokens.buffer, s.tokens.byteOffset, s.tokens.byteLength);
