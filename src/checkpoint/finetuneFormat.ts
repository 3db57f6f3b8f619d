// A fine-tuning run's checkpoint as one binary file, framed as a pretraining checkpoint
// (format.ts) under its own magic:
//
//   offset 0   8 bytes   magic "STUDLORA"
//          8   u32 LE    format version (FINETUNE_CHECKPOINT_VERSION)
//         12   u32 LE    H: header length in bytes (a multiple of 8)
//         16   H bytes   header: UTF-8 JSON (FinetuneCheckpointHeader), padded with spaces
//     16 + H   D bytes   tensors, little-endian f32: per optimizer its adapters, then each of its
//                        state buffers (loraStateLengths), at the header's offsets
//  16 + H + D  u32 LE    CRC-32 of every byte before it
//
// The base model is not in the file, only its identity: a fine-tune resumes on the same base.
import type { GPTConfig, TokenizerName } from '../model/config';
import { buildLoraTable, LORA_TARGETS, type LoraSettings, type LoraTarget } from '../model/lora';
import { validateLora } from '../model/validateLora';
import { type LoraOptimizerKind, loraStateLengths } from '../optim/loraOptimizer';
import type { LrDecay } from '../train/lrSchedule';
import { preview } from '../util/preview';
import { crc32 } from './crc32';
import {
  array,
  CheckpointError,
  CRC_BYTES,
  checkModel,
  count,
  type DataCursor,
  damaged,
  finite,
  floatsAt,
  hex,
  type Json,
  MAX_HEADER_BYTES,
  object,
  own,
  PREFIX_BYTES,
  string,
  truncated,
  whole,
} from './format';

export const FINETUNE_CHECKPOINT_MAGIC = 'STUDLORA';
export const FINETUNE_CHECKPOINT_VERSION = 1;
/** Adapters and optimizer state of the largest LoRA the studio makes are far below this. */
export const DEFAULT_MAX_FINETUNE_BYTES = 2 * 2 ** 30;
/** Each optimizer's loss history has at most this many points (the run's step limit). */
const MAX_STEPS = 100_000;

/** Which model the adapters were trained on: enough to refuse another base, and say why. */
export interface FinetuneBaseRecord {
  /** A pretraining run of the studio, or imported GPT-2 weights. */
  source: 'run' | 'imported';
  /** The saved run's id when it was saved (null: never saved, or imported). */
  runId: string | null;
  /** The run's name, or the imported model's. */
  name: string;
  /** The base run's steps done (0 for an imported model). */
  step: number;
  model: GPTConfig;
  tokenizer: TokenizerName;
  /** SHA-256 (hex) of the base's parameters, f32 little-endian in the params.ts layout. */
  paramsSha256: string;
}

/** What the run fine-tuned on. */
export interface FinetuneDataRecord {
  text: 'heldout' | 'user';
  /** 'openwebtext' (held-out slice) or the user's file name. */
  name: string;
}

/** The run's form, as FinetuneRequest (train/finetuneSession.ts) has it. */
export interface FinetuneRunSettings {
  lora: LoraSettings;
  optimizers: readonly LoraOptimizerKind[];
  lr: number;
  riteLr?: number;
  warmupSteps: number;
  decay: LrDecay;
  steps: number;
  batchSize: number;
  escapedMass: boolean;
  seed: number;
  order: 'interleaved' | 'sequential';
}

/** One optimizer's position: steps taken, its batch sampler, its losses so far. */
export interface FinetuneOptimizerRecord {
  kind: LoraOptimizerKind;
  step: number;
  sampler: DataCursor;
  /** 1-based step and the loss of the batch it trained on. */
  losses: { step: number; loss: number }[];
}

/** What a fine-tune checkpoint says about its run, besides the tensors. */
export interface FinetuneCheckpointRun {
  base: FinetuneBaseRecord;
  data: FinetuneDataRecord;
  settings: FinetuneRunSettings;
  /** One per optimizer of settings.optimizers, in that order. */
  optimizers: FinetuneOptimizerRecord[];
  savedAt: string;
}

export interface FinetuneTensorEntry {
  name: string;
  dtype: 'F32';
  shape: number[];
  offset: number;
  byteLength: number;
}

export interface FinetuneCheckpointHeader extends FinetuneCheckpointRun {
  tensors: FinetuneTensorEntry[];
}

/** One optimizer's tensors: every A and B (LoRA table layout), and its state buffers. */
export interface FinetuneOptimizerTensors {
  adapters: Float32Array;
  state: Float32Array[];
}

export interface FinetuneCheckpointParts extends FinetuneCheckpointRun {
  tensors: Partial<Record<LoraOptimizerKind, FinetuneOptimizerTensors>>;
}

const KINDS: readonly LoraOptimizerKind[] = ['adam', 'rite'];

/** Every tensor the file must hold for these settings, in file order, with its length. */
export function finetuneTensorLayout(
  model: GPTConfig,
  settings: Pick<FinetuneRunSettings, 'lora' | 'optimizers'>,
): { name: string; kind: LoraOptimizerKind; length: number }[] {
  const table = buildLoraTable(model, settings.lora);
  return settings.optimizers.flatMap((kind) => [
    { name: `${kind}.adapters`, kind, length: table.totalLength },
    ...loraStateLengths(kind, table.pairs).map((length, i) => ({
      name: `${kind}.state.${i}`,
      kind,
      length,
    })),
  ]);
}

export function encodeFinetuneCheckpoint(parts: FinetuneCheckpointParts): Uint8Array {
  const layout = finetuneTensorLayout(parts.base.model, parts.settings);
  const data = layout.map(({ name, kind }) => {
    const t = parts.tensors[kind];
    if (!t) throw new Error(`encodeFinetuneCheckpoint: no tensors for ${kind}.`);
    return name.endsWith('.adapters') ? t.adapters : t.state[Number(name.split('.')[2])];
  });
  const tensors: FinetuneTensorEntry[] = [];
  let offset = 0;
  layout.forEach(({ name, length }, i) => {
    if (data[i]?.length !== length)
      throw new Error(
        `encodeFinetuneCheckpoint: ${name} has ${data[i]?.length} floats; these settings need ${length}.`,
      );
    tensors.push({ name, dtype: 'F32', shape: [length], offset, byteLength: length * 4 });
    offset += length * 4;
  });
  const header: FinetuneCheckpointHeader = {
    base: parts.base,
    data: parts.data,
    settings: parts.settings,
    optimizers: parts.optimizers,
    savedAt: parts.savedAt,
    tensors,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const H = Math.ceil(json.length / 8) * 8;
  const total = PREFIX_BYTES + H + offset + CRC_BYTES;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(FINETUNE_CHECKPOINT_MAGIC), 0);
  view.setUint32(8, FINETUNE_CHECKPOINT_VERSION, true);
  view.setUint32(12, H, true);
  out.set(json, PREFIX_BYTES);
  out.fill(0x20, PREFIX_BYTES + json.length, PREFIX_BYTES + H);
  tensors.forEach((t, i) => {
    const f = data[i];
    out.set(new Uint8Array(f.buffer, f.byteOffset, f.byteLength), PREFIX_BYTES + H + t.offset);
  });
  view.setUint32(total - CRC_BYTES, crc32(out.subarray(0, total - CRC_BYTES)), true);
  return out;
}

/** Whether `bytes` start like a fine-tune checkpoint (to pick the decoder; nothing is checked). */
export function isFinetuneCheckpoint(bytes: Uint8Array): boolean {
  return new TextDecoder().decode(bytes.subarray(0, 8)) === FINETUNE_CHECKPOINT_MAGIC;
}

/**
 * Decodes and checks a fine-tune checkpoint: magic, version, header, the tensor table against
 * the LoRA settings (before any tensor is viewed), exact length and checksum. Throws a
 * CheckpointError naming the first problem. Tensors are views into `bytes` when aligned.
 */
export function decodeFinetuneCheckpoint(
  bytes: Uint8Array,
  maxBytes = DEFAULT_MAX_FINETUNE_BYTES,
): FinetuneCheckpointParts {
  if (bytes.length > maxBytes)
    throw new CheckpointError(
      `This file is ${count(bytes.length)} bytes, more than the ${count(maxBytes)} bytes a fine-tune checkpoint can be: it is not one.`,
    );
  if (bytes.length < 8 || !isFinetuneCheckpoint(bytes))
    throw new CheckpointError(
      `This file is not a fine-tune checkpoint (it does not start with "${FINETUNE_CHECKPOINT_MAGIC}").`,
    );
  if (bytes.length < PREFIX_BYTES + CRC_BYTES)
    throw truncated(PREFIX_BYTES + CRC_BYTES, bytes.length, 'at least ');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version > FINETUNE_CHECKPOINT_VERSION)
    throw new CheckpointError(
      `This fine-tune checkpoint has format version ${version}, written by a newer studio; this one reads version ${FINETUNE_CHECKPOINT_VERSION}: open it in the newer studio.`,
    );
  if (version < 1)
    throw new CheckpointError(
      `This fine-tune checkpoint has format version ${version}, which never existed: the file is damaged.`,
    );
  const H = view.getUint32(12, true);
  if (H > MAX_HEADER_BYTES)
    throw new CheckpointError(
      `This checkpoint's header claims ${count(H)} bytes, more than any checkpoint's (${count(MAX_HEADER_BYTES)}): the file is damaged.`,
    );
  if (PREFIX_BYTES + H + CRC_BYTES > bytes.length)
    throw truncated(PREFIX_BYTES + H + CRC_BYTES, bytes.length, 'at least ');
  let parsed: unknown;
  try {
    parsed = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(
        bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + H),
      ),
    );
  } catch (e) {
    throw new CheckpointError(
      `This checkpoint's header is not valid JSON (${e instanceof Error ? e.message : String(e)}): the file is damaged.`,
    );
  }
  const header = checkHeader(parsed);
  const layout = finetuneTensorLayout(header.base.model, header.settings);
  const dataBytes = checkTensors(header.tensors, layout);
  const total = PREFIX_BYTES + H + dataBytes + CRC_BYTES;
  if (bytes.length < total) throw truncated(total, bytes.length, '');
  if (bytes.length > total)
    throw new CheckpointError(
      `This checkpoint is oversized: its header accounts for ${count(total)} bytes, but the file has ${count(bytes.length)} (${count(bytes.length - total)} extra bytes at the end): it was damaged or joined to another file.`,
    );
  const stored = view.getUint32(total - CRC_BYTES, true);
  const actual = crc32(bytes.subarray(0, total - CRC_BYTES));
  if (stored !== actual)
    throw new CheckpointError(
      `This checkpoint is corrupted: its checksum is 0x${hex(actual)}, but it was saved as 0x${hex(stored)} (a byte changed on disk or in transfer).`,
    );
  const start = PREFIX_BYTES + H;
  const floatsOf = (t: FinetuneTensorEntry) => floatsAt(bytes, start + t.offset, t.byteLength / 4);
  const tensors: FinetuneCheckpointParts['tensors'] = {};
  // checkTensors has put every tensor where the layout says: adapters, then state 0, 1, ...
  for (const kind of header.settings.optimizers) {
    const mine = header.tensors.filter((t) => t.name.startsWith(`${kind}.`));
    tensors[kind] = { adapters: floatsOf(mine[0]), state: mine.slice(1).map(floatsOf) };
  }
  const { tensors: _, ...run } = header;
  return { ...run, tensors };
}

/**
 * What differs between the base a checkpoint was trained on and the model it would resume on,
 * one phrase each; empty when they are the same model.
 */
export function baseDifferences(saved: FinetuneBaseRecord, now: FinetuneBaseRecord): string[] {
  const diffs: string[] = [];
  const keys: (keyof GPTConfig)[] = ['nLayer', 'nHead', 'nEmbd', 'blockSize', 'vocabSize'];
  for (const k of keys)
    if (saved.model[k] !== now.model[k]) diffs.push(`${k} ${saved.model[k]} (now ${now.model[k]})`);
  if (saved.tokenizer !== now.tokenizer)
    diffs.push(`tokenizer ${saved.tokenizer} (now ${now.tokenizer})`);
  if (diffs.length === 0 && saved.paramsSha256 !== now.paramsSha256)
    diffs.push(
      `its parameters (SHA-256 ${saved.paramsSha256.slice(0, 12)}…, now ${now.paramsSha256.slice(0, 12)}…)`,
    );
  return diffs;
}

// ---- header shape ----

function oneOf<T extends string>(o: Json, key: string, path: string, values: readonly T[]): T {
  const v = own(o, key);
  if (!(values as readonly unknown[]).includes(v))
    throw damaged(`${path}.${key} is ${preview(v)}, not one of ${values.join(', ')}`);
  return v as T;
}

function bool(o: Json, key: string, path: string): boolean {
  const v = own(o, key);
  if (typeof v !== 'boolean') throw damaged(`${path}.${key} is not true or false`);
  return v;
}

const SHA256 = /^[0-9a-f]{64}$/;

function checkBase(v: unknown): FinetuneBaseRecord {
  const p = 'base';
  const o = object(v, p);
  const runId = own(o, 'runId');
  if (runId !== null && typeof runId !== 'string')
    throw damaged(`${p}.runId is neither a run id nor null`);
  const paramsSha256 = string(o, 'paramsSha256', p);
  if (!SHA256.test(paramsSha256))
    throw damaged(`${p}.paramsSha256 is not 64 lowercase hex digits (a SHA-256)`);
  return {
    source: oneOf(o, 'source', p, ['run', 'imported'] as const),
    runId,
    name: string(o, 'name', p),
    step: whole(o, 'step', p),
    // Bounded before any table is built from it.
    model: checkModel(own(o, 'model'), `${p}.model`),
    tokenizer: oneOf(o, 'tokenizer', p, ['byte', 'gpt2'] as const),
    paramsSha256,
  };
}

function checkSettings(v: unknown, model: GPTConfig): FinetuneRunSettings {
  const p = 'settings';
  const o = object(v, p);
  const l = object(own(o, 'lora'), `${p}.lora`);
  const targets = array(l, 'targets', `${p}.lora`).map((t, i) => {
    if (!(LORA_TARGETS as readonly unknown[]).includes(t))
      throw damaged(
        `${p}.lora.targets[${i}] is ${preview(t)}, not one of ${LORA_TARGETS.join(', ')}`,
      );
    return t as LoraTarget;
  });
  const lora: LoraSettings = {
    rank: whole(l, 'rank', `${p}.lora`, 1, 32),
    alpha: finite(l, 'alpha', `${p}.lora`),
    targets,
  };
  const loraErrors = validateLora(model, lora);
  if (loraErrors.length > 0) throw damaged(`${p}.lora cannot run on base.model: ${loraErrors[0]}`);
  const optimizers = array(o, 'optimizers', p).map((k, i) => {
    if (!(KINDS as readonly unknown[]).includes(k))
      throw damaged(`${p}.optimizers[${i}] is ${preview(k)}, not "adam" or "rite"`);
    return k as LoraOptimizerKind;
  });
  if (optimizers.length === 0 || new Set(optimizers).size !== optimizers.length)
    throw damaged(
      `${p}.optimizers (${preview(optimizers)}) is not one or two different optimizers`,
    );
  const steps = whole(o, 'steps', p, 1, MAX_STEPS);
  const riteLr = own(o, 'riteLr');
  return {
    lora,
    optimizers,
    lr: finite(o, 'lr', p),
    ...(riteLr === undefined ? {} : { riteLr: finite(o, 'riteLr', p) }),
    warmupSteps: whole(o, 'warmupSteps', p, 0, steps),
    decay: oneOf(o, 'decay', p, ['cosine', 'constant'] as const),
    steps,
    batchSize: whole(o, 'batchSize', p, 1, 256),
    escapedMass: bool(o, 'escapedMass', p),
    seed: whole(o, 'seed', p, 0, 0xffffffff),
    order: oneOf(o, 'order', p, ['interleaved', 'sequential'] as const),
  };
}

function checkOptimizer(
  v: unknown,
  i: number,
  settings: FinetuneRunSettings,
): FinetuneOptimizerRecord {
  const p = `optimizers[${i}]`;
  const o = object(v, p);
  const kind = oneOf(o, 'kind', p, KINDS);
  if (kind !== settings.optimizers[i])
    throw damaged(
      `${p}.kind (${kind}) is not settings.optimizers[${i}] (${preview(settings.optimizers[i])})`,
    );
  const step = whole(o, 'step', p, 0, settings.steps);
  const s = object(own(o, 'sampler'), `${p}.sampler`);
  const sp = `${p}.sampler`;
  const blocks = whole(s, 'blocks', sp, 1);
  const cursor = whole(s, 'cursor', sp);
  if (cursor >= blocks)
    throw damaged(`${sp}.cursor (${cursor}) is not below ${sp}.blocks (${blocks})`);
  const seed = whole(s, 'seed', sp);
  if (seed !== settings.seed)
    throw damaged(`${sp}.seed (${seed}) is not settings.seed (${settings.seed})`);
  const losses = array(o, 'losses', p);
  if (losses.length > step)
    throw damaged(`${p}.losses has ${losses.length} points, more than its ${step} steps`);
  return {
    kind,
    step,
    sampler: { seed, epoch: whole(s, 'epoch', sp), cursor, blocks },
    losses: losses.map((x, k) => {
      const at = `${p}.losses[${k}]`;
      const point = object(x, at);
      // A diverged step's loss is NaN, which JSON writes as null.
      const loss = own(point, 'loss') === null ? Number.NaN : finite(point, 'loss', at);
      return { step: whole(point, 'step', at, 1, step), loss };
    }),
  };
}

function checkHeader(v: unknown): FinetuneCheckpointHeader {
  const o = object(v, 'the header');
  const base = checkBase(own(o, 'base'));
  const d = object(own(o, 'data'), 'data');
  const settings = checkSettings(own(o, 'settings'), base.model);
  const optimizers = array(o, 'optimizers', 'header');
  if (optimizers.length !== settings.optimizers.length)
    throw damaged(
      `optimizers has ${optimizers.length} entries, not one per settings.optimizers (${settings.optimizers.length})`,
    );
  const tensors = array(o, 'tensors', 'header').map((x, i): FinetuneTensorEntry => {
    const path = `tensors[${i}]`;
    const t = object(x, path);
    const name = string(t, 'name', path);
    if (own(t, 'dtype') !== 'F32')
      throw damaged(`${path} (${preview(name)}) has dtype ${preview(own(t, 'dtype'))}, not "F32"`);
    return {
      name,
      dtype: 'F32',
      shape: array(t, 'shape', path).map((n, k) => whole({ n }, 'n', `${path}.shape[${k}]`)),
      offset: whole(t, 'offset', path),
      byteLength: whole(t, 'byteLength', path),
    };
  });
  return {
    base,
    data: {
      text: oneOf(d, 'text', 'data', ['heldout', 'user'] as const),
      name: string(d, 'name', 'data'),
    },
    settings,
    optimizers: optimizers.map((x, i) => checkOptimizer(x, i, settings)),
    savedAt: string(o, 'savedAt', 'header'),
    tensors,
  };
}

/** The table must list exactly the layout's tensors, in order, back to back; returns D. */
function checkTensors(
  tensors: FinetuneTensorEntry[],
  layout: { name: string; length: number }[],
): number {
  if (tensors.length !== layout.length)
    throw new CheckpointError(
      `This checkpoint's tensor table lists ${tensors.length} tensors; its settings need ${layout.length} (${layout.map((t) => t.name).join(', ')}): the file is damaged.`,
    );
  let end = 0;
  layout.forEach(({ name, length }, i) => {
    const t = tensors[i];
    if (t.name !== name)
      throw new CheckpointError(
        `This checkpoint's tensors[${i}] is ${preview(t.name)}, not ${name}: the file is damaged.`,
      );
    if (t.shape.length !== 1 || t.shape[0] !== length || t.byteLength !== length * 4)
      throw new CheckpointError(
        `This checkpoint's ${name} has shape [${t.shape.slice(0, 4).join(', ')}] (${count(t.byteLength)} bytes), but its LoRA settings need [${length}] (${count(length * 4)} bytes): the tensors do not match the settings.`,
      );
    if (t.offset !== end)
      throw new CheckpointError(
        `This checkpoint's ${name} starts at byte ${count(t.offset)} of the tensor data, not at ${count(end)} where the previous tensor ends: the file is damaged.`,
      );
    end += t.byteLength;
  });
  return end;
}
