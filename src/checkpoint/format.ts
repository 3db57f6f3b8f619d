// A run's checkpoint as one binary file:
//
//   offset 0   8 bytes   magic "STUDCKPT"
//          8   u32 LE    format version (CHECKPOINT_VERSION)
//         12   u32 LE    H: header length in bytes (a multiple of 8)
//         16   H bytes   header: UTF-8 JSON (CheckpointHeader), padded with spaces
//     16 + H   D bytes   tensors, little-endian f32, at the header's offsets (relative to 16 + H)
//  16 + H + D  u32 LE    CRC-32 of every byte before it
//
// Decoding checks all of it before handing anything back, so a bad file loads nothing.
import { LFR_ARMS, type LfrArm } from '../lfr/arms';
import { SCHEDULE_KINDS, type ScheduleState } from '../lfr/schedule';
import { DEFAULT_SLICES, MAX_PHASES } from '../lfr/scores';
import { type LfrSettings, validateLfrSettings } from '../lfr/settings';
import type { GPTConfig, TokenizerName, TrainConfig } from '../model/config';
import { buildParamTable } from '../model/params';
import type { StepPoint, ValPoint } from '../train/history';
import { clip, preview, previewList } from '../util/preview';
import { crc32 } from './crc32';

export const CHECKPOINT_MAGIC = 'STUDCKPT';
export const CHECKPOINT_VERSION = 1;
/** The headers a real run writes are a few hundred kB (history); 64 MiB means a damaged length. */
export const MAX_HEADER_BYTES = 64 * 2 ** 20;
/** Above the largest model the studio trains (params + two moments of ~125M floats is 1.5 GB). */
export const DEFAULT_MAX_CHECKPOINT_BYTES = 4 * 2 ** 30;
export const PREFIX_BYTES = 16;
export const CRC_BYTES = 4;

/** Every checkpoint holds these three flat f32 tensors, each laid out by the parameter table. */
export const CHECKPOINT_TENSORS = ['params', 'adam.m', 'adam.v'] as const;
export type CheckpointTensorName = (typeof CHECKPOINT_TENSORS)[number];

/** Which data the run trained on; the token counts catch resuming on other data. */
export interface DataRecord {
  choice: 'openwebtext' | 'user';
  /** 'openwebtext' or the user's file name. */
  name: string;
  trainTokens: number;
  valTokens: number;
}

/** What the run was built from: enough to rebuild it. */
export interface RunSettings {
  /** The preset it started from ('tiny', 'small', 'medium'), or null for none. */
  preset: string | null;
  tokenizer: TokenizerName;
  model: GPTConfig;
  train: TrainConfig;
  data: DataRecord;
}

/** The batch sampler's position (src/data/blocks.ts SamplerState). */
export interface DataCursor {
  seed: number;
  epoch: number;
  cursor: number;
  blocks: number;
}

export interface TensorEntry {
  name: CheckpointTensorName;
  dtype: 'F32';
  shape: number[];
  /** Byte offset from the start of the tensor data. */
  offset: number;
  byteLength: number;
}

/** How a scheduled run was planned: LFR, the random baseline or a control arm at LFR's budget. */
export interface CheckpointLfrPlan {
  role: LfrArm;
  lfr: LfrSettings;
  /** Trained on the first maxBlocks blocks; 0 for all. */
  maxBlocks: number;
  /** The maxBlocks blocks were a random sample drawn from the run's seed (false in older saves). */
  sampleBlocks?: boolean;
}

/** A scheduled run's lfr field: how to rebuild its schedule (null: not known), and where it was. */
export interface CheckpointLfr {
  plan: CheckpointLfrPlan | null;
  state: ScheduleState;
}

/** What a checkpoint says about its run, besides the tensors. */
export interface CheckpointRun {
  settings: RunSettings;
  /** Optimizer steps taken: also AdamW's bias-correction count. */
  step: number;
  /** Position in the learning-rate schedule: the step whose rate comes next, and that rate. */
  schedule: { step: number; lr: number };
  sampler: DataCursor;
  /** Named u32 generator states (e.g. sampling); empty when the run keeps none. */
  rng: Record<string, number>;
  /** The LFR schedule's plan and state; null for the random schedule. */
  lfr: CheckpointLfr | null;
  history: { train: StepPoint[]; val: ValPoint[] };
  /** When it was written (ISO 8601). */
  savedAt: string;
}

/** The JSON header: the run and the table of the tensors that follow it. */
export interface CheckpointHeader extends CheckpointRun {
  tensors: TensorEntry[];
}

/** Everything a checkpoint carries, decoded. */
export interface CheckpointParts extends CheckpointRun {
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

/** A refused checkpoint: the message says what is wrong and that nothing changed. */
export class CheckpointError extends Error {
  constructor(problem: string) {
    super(`${problem} Nothing was loaded; your current run is unchanged.`);
    this.name = 'CheckpointError';
  }
}

export const count = (n: number) => n.toLocaleString('en-US');

/** The flat tensor length every checkpoint tensor of this model has (padding included). */
export function checkpointTensorLength(model: GPTConfig): number {
  return buildParamTable(model).totalLength;
}

export function encodeCheckpoint(parts: CheckpointParts): Uint8Array {
  const n = checkpointTensorLength(parts.settings.model);
  const data: Record<CheckpointTensorName, Float32Array> = {
    params: parts.params,
    'adam.m': parts.m,
    'adam.v': parts.v,
  };
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const name of CHECKPOINT_TENSORS) {
    if (data[name].length !== n) {
      throw new Error(
        `encodeCheckpoint: ${name} has ${data[name].length} floats; this model's layout needs ${n}.`,
      );
    }
    tensors.push({ name, dtype: 'F32', shape: [n], offset, byteLength: n * 4 });
    offset += n * 4;
  }
  const header: CheckpointHeader = {
    settings: parts.settings,
    step: parts.step,
    schedule: parts.schedule,
    sampler: parts.sampler,
    rng: parts.rng,
    lfr: parts.lfr,
    history: parts.history,
    savedAt: parts.savedAt,
    tensors,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Padded to 8 bytes so the tensors start aligned and decode can view them without copying.
  const H = Math.ceil(json.length / 8) * 8;
  const total = PREFIX_BYTES + H + offset + CRC_BYTES;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, H, true);
  out.set(json, PREFIX_BYTES);
  out.fill(0x20, PREFIX_BYTES + json.length, PREFIX_BYTES + H);
  for (const t of tensors) {
    const f = data[t.name];
    out.set(new Uint8Array(f.buffer, f.byteOffset, f.byteLength), PREFIX_BYTES + H + t.offset);
  }
  view.setUint32(total - CRC_BYTES, crc32(out.subarray(0, total - CRC_BYTES)), true);
  return out;
}

export interface DecodeOptions {
  /** When set, the checkpoint must be for this model (e.g. loading into an open run). */
  model?: GPTConfig;
  /** Files above this are refused before parsing; default DEFAULT_MAX_CHECKPOINT_BYTES. */
  maxBytes?: number;
}

/**
 * Decodes and checks a checkpoint: magic, version, header shape, tensor table against the model,
 * exact file length and checksum. Throws a CheckpointError naming the first problem found.
 * The tensors returned are views into `bytes` when aligned (copies otherwise).
 */
export function decodeCheckpoint(bytes: Uint8Array, options: DecodeOptions = {}): CheckpointParts {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_CHECKPOINT_BYTES;
  if (bytes.length > maxBytes) {
    throw new CheckpointError(
      `This file is ${count(bytes.length)} bytes, more than the ${count(maxBytes)} bytes a studio checkpoint can be: it is not a checkpoint of a model the studio trains.`,
    );
  }
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (bytes.length < 8 || magic !== CHECKPOINT_MAGIC) {
    const hint =
      bytes.length >= 9 && bytes[8] === 0x7b
        ? ' It looks like a safetensors file: use Import for model weights.'
        : '';
    throw new CheckpointError(
      `This file is not a studio checkpoint (it does not start with "${CHECKPOINT_MAGIC}").${hint}`,
    );
  }
  if (bytes.length < PREFIX_BYTES + CRC_BYTES) {
    throw new CheckpointError(
      `This checkpoint is truncated: it is ${count(bytes.length)} bytes, shorter than a checkpoint's fixed parts (${PREFIX_BYTES + CRC_BYTES} bytes).`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version > CHECKPOINT_VERSION) {
    throw new CheckpointError(
      `This checkpoint has format version ${version}, written by a newer studio; this one reads version ${CHECKPOINT_VERSION}: open it in the newer studio.`,
    );
  }
  if (version < 1) {
    throw new CheckpointError(
      `This checkpoint has format version ${version}, which never existed: the file is damaged.`,
    );
  }
  const H = view.getUint32(12, true);
  if (H > MAX_HEADER_BYTES) {
    throw new CheckpointError(
      `This checkpoint's header claims ${count(H)} bytes, more than any checkpoint's (${count(MAX_HEADER_BYTES)}): the file is damaged.`,
    );
  }
  if (PREFIX_BYTES + H + CRC_BYTES > bytes.length) {
    throw truncated(PREFIX_BYTES + H + CRC_BYTES, bytes.length, 'at least ');
  }
  let parsed: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(
      bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + H),
    );
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(
      `This checkpoint's header is not valid JSON (${e instanceof Error ? e.message : String(e)}): the file is damaged.`,
    );
  }
  const header = checkHeader(parsed);
  const n = checkpointTensorLength(header.settings.model);
  const dataBytes = checkTensorTable(header.tensors, n, header.settings.model);
  const total = PREFIX_BYTES + H + dataBytes + CRC_BYTES;
  if (bytes.length < total) throw truncated(total, bytes.length, '');
  if (bytes.length > total) {
    throw new CheckpointError(
      `This checkpoint is oversized: its header accounts for ${count(total)} bytes, but the file has ${count(bytes.length)} (${count(bytes.length - total)} extra bytes at the end): it was damaged or joined to another file.`,
    );
  }
  const stored = view.getUint32(total - CRC_BYTES, true);
  const actual = crc32(bytes.subarray(0, total - CRC_BYTES));
  if (stored !== actual) {
    throw new CheckpointError(
      `This checkpoint is corrupted: its checksum is 0x${hex(actual)}, but it was saved as 0x${hex(stored)} (a byte changed on disk or in transfer).`,
    );
  }
  if (options.model) checkSameModel(header.settings.model, options.model);
  const dataStart = PREFIX_BYTES + H;
  const tensor = (name: CheckpointTensorName) => {
    const t = header.tensors.find((x) => x.name === name)!;
    return floatsAt(bytes, dataStart + t.offset, n);
  };
  return {
    settings: header.settings,
    step: header.step,
    schedule: header.schedule,
    sampler: header.sampler,
    rng: header.rng,
    lfr: header.lfr,
    history: header.history,
    savedAt: header.savedAt,
    params: tensor('params'),
    m: tensor('adam.m'),
    v: tensor('adam.v'),
  };
}

export const hex = (n: number) => n.toString(16).padStart(8, '0');

export function truncated(expected: number, got: number, atLeast: string): CheckpointError {
  return new CheckpointError(
    `This checkpoint is truncated: expected ${atLeast}${count(expected)} bytes, got ${count(got)}.`,
  );
}

export function floatsAt(bytes: Uint8Array, at: number, length: number): Float32Array {
  const start = bytes.byteOffset + at;
  if (start % 4 === 0) return new Float32Array(bytes.buffer, start, length);
  return new Float32Array(bytes.slice(at, at + length * 4).buffer);
}

// ---- header shape ----

export type Json = Record<string, unknown>;

export function damaged(what: string): CheckpointError {
  return new CheckpointError(`This checkpoint's header is malformed: ${what}.`);
}

// Own properties only: a key such as "constructor" must not find Object.prototype's.
export const own = (o: Json, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);

export function object(v: unknown, path: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw damaged(`${path} is not an object`);
  return v as Json;
}

export function finite(o: Json, key: string, path: string): number {
  const v = own(o, key);
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw damaged(`${path}.${key} is not a finite number`);
  return v;
}

export function whole(
  o: Json,
  key: string,
  path: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = finite(o, key, path);
  if (!Number.isInteger(v) || v < min)
    throw damaged(`${path}.${key} (${v}) is not a whole number of at least ${min}`);
  if (v > max)
    throw damaged(
      `${path}.${key} (${v}) is over ${count(max)}, more than any run the studio makes`,
    );
  return v;
}

export function string(o: Json, key: string, path: string): string {
  const v = own(o, key);
  if (typeof v !== 'string') throw damaged(`${path}.${key} is not a string`);
  return v;
}

export function array(o: Json, key: string, path: string): unknown[] {
  const v = own(o, key);
  if (!Array.isArray(v)) throw damaged(`${path}.${key} is not a list`);
  return v;
}

/**
 * Upper bounds on a model in a header, checked before anything is sized from it: above the
 * largest the studio trains (block_size 1024, GPT-2's 50,257 tokens), so a damaged or hostile
 * header is refused in microseconds instead of building a parameter table of a billion layers.
 */
const MODEL_LIMITS = {
  blockSize: 1024,
  vocabSize: 50257,
  nLayer: 1000,
  nHead: 65_536,
  nEmbd: 65_536,
} as const;

export function checkModel(v: unknown, p = 'settings.model'): GPTConfig {
  const o = object(v, p);
  const field = (key: keyof GPTConfig) => whole(o, key, p, 1, MODEL_LIMITS[key]);
  return {
    blockSize: field('blockSize'),
    vocabSize: field('vocabSize'),
    nLayer: field('nLayer'),
    nHead: field('nHead'),
    nEmbd: field('nEmbd'),
  };
}

function checkTrain(v: unknown): TrainConfig {
  const o = object(v, 'settings.train');
  const p = 'settings.train';
  return {
    batchSize: whole(o, 'batchSize', p, 1),
    gradAccumSteps: whole(o, 'gradAccumSteps', p, 1),
    maxSteps: whole(o, 'maxSteps', p, 1),
    learningRate: finite(o, 'learningRate', p),
    minLearningRate: finite(o, 'minLearningRate', p),
    warmupSteps: whole(o, 'warmupSteps', p),
    weightDecay: finite(o, 'weightDecay', p),
    beta1: finite(o, 'beta1', p),
    beta2: finite(o, 'beta2', p),
    gradClip: finite(o, 'gradClip', p),
    seed: whole(o, 'seed', p),
    evalInterval: whole(o, 'evalInterval', p),
    evalBatches: whole(o, 'evalBatches', p, 1),
  };
}

function checkSettings(v: unknown): RunSettings {
  const o = object(v, 'settings');
  const preset = own(o, 'preset');
  if (preset !== null && typeof preset !== 'string')
    throw damaged('settings.preset is neither a name nor null');
  const tokenizer = own(o, 'tokenizer');
  if (tokenizer !== 'byte' && tokenizer !== 'gpt2')
    throw damaged(`settings.tokenizer is ${preview(tokenizer)}, not "byte" or "gpt2"`);
  const d = object(own(o, 'data'), 'settings.data');
  const choice = own(d, 'choice');
  if (choice !== 'openwebtext' && choice !== 'user')
    throw damaged(`settings.data.choice is ${preview(choice)}, not "openwebtext" or "user"`);
  return {
    preset,
    tokenizer,
    model: checkModel(own(o, 'model')),
    train: checkTrain(own(o, 'train')),
    data: {
      choice,
      name: string(d, 'name', 'settings.data'),
      trainTokens: whole(d, 'trainTokens', 'settings.data'),
      valTokens: whole(d, 'valTokens', 'settings.data'),
    },
  };
}

function checkHistory(v: unknown): CheckpointHeader['history'] {
  const o = object(v, 'history');
  const train = array(o, 'train', 'history').map((x, i) => {
    const p = object(x, `history.train[${i}]`);
    const path = `history.train[${i}]`;
    // A diverged step's loss is NaN, which JSON writes as null.
    const loss = own(p, 'loss') === null ? Number.NaN : finite(p, 'loss', path);
    return {
      step: whole(p, 'step', path),
      loss,
      lr: finite(p, 'lr', path),
      gradNorm: own(p, 'gradNorm') === null ? Number.NaN : finite(p, 'gradNorm', path),
    };
  });
  const val = array(o, 'val', 'history').map((x, i) => {
    const p = object(x, `history.val[${i}]`);
    const path = `history.val[${i}]`;
    const loss = own(p, 'loss') === null ? Number.NaN : finite(p, 'loss', path);
    return { step: whole(p, 'step', path), loss, perplexity: Math.exp(loss) };
  });
  return { train, val };
}

// ---- the LFR payload ----

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Checks that `key` is base64 of exactly `bytes` bytes, without decoding it. */
function base64Of(o: Json, key: string, path: string, bytes: number): string {
  const text = string(o, key, path);
  const length = 4 * Math.ceil(bytes / 3);
  if (text.length !== length || !BASE64.test(text)) {
    throw damaged(
      `${path}.${key} is not base64 of ${count(bytes)} bytes (${count(length)} characters of A-Z, a-z, 0-9, +, / and = padding; it has ${count(text.length)})`,
    );
  }
  return text;
}

function checkScores(v: unknown, blockCount: number): ScheduleState['scores'] {
  const path = 'lfr.state.scores';
  const o = object(v, path);
  const n = whole(o, 'blockCount', path, 1);
  if (n !== blockCount)
    throw damaged(`${path}.blockCount (${n}) is not lfr.state.blockCount (${blockCount})`);
  const slices = whole(o, 'slices', path, 2);
  // The studio's schedules keep the default history; a restore into another shape would fail.
  if (slices !== DEFAULT_SLICES)
    throw damaged(
      `${path}.slices (${slices}) is not the ${DEFAULT_SLICES} history slices a run keeps`,
    );
  const used = whole(o, 'used', path);
  if (used > slices) throw damaged(`${path}.used (${used}) is over ${path}.slices (${slices})`);
  const seen = new Set<number>();
  const phases = array(o, 'phases', path).map((x, i) => {
    const at = `${path}.phases[${i}]`;
    const p = object(x, at);
    const phase = whole(p, 'phase', at, 0, MAX_PHASES - 1);
    if (seen.has(phase)) throw damaged(`${at}.phase (${phase}) is listed twice`);
    seen.add(phase);
    const sums = {
      phase,
      sum: base64Of(p, 'sum', at, 8 * n),
      count: base64Of(p, 'count', at, 4 * n),
    };
    // Saves from before each visit's step was kept have no lastStep; the scores restore without it.
    return p.lastStep === undefined
      ? sums
      : { ...sums, lastStep: base64Of(p, 'lastStep', at, 4 * n) };
  });
  return {
    blockCount: n,
    slices,
    width: whole(o, 'width', path, 1),
    used,
    visits: base64Of(o, 'visits', path, 4 * n),
    last: base64Of(o, 'last', path, 4 * n),
    lastStep: base64Of(o, 'lastStep', path, 4 * n),
    history: base64Of(o, 'history', path, 4 * slices * n),
    phases,
  };
}

function checkPlan(v: unknown): CheckpointLfrPlan | null {
  if (v === null) return null;
  const path = 'lfr.plan';
  const o = object(v, path);
  const value = own(o, 'role');
  const role = LFR_ARMS.find((a) => a === value);
  if (role === undefined)
    throw damaged(`${path}.role is ${preview(value)}, not one of ${previewList(LFR_ARMS)}`);
  const s = object(own(o, 'lfr'), `${path}.lfr`);
  const at = `${path}.lfr`;
  // Absent in saves from before samples (the first blocks): left absent.
  const sampleBlocks = Object.hasOwn(o, 'sampleBlocks') ? own(o, 'sampleBlocks') : undefined;
  if (sampleBlocks !== undefined && typeof sampleBlocks !== 'boolean')
    throw damaged(`${path}.sampleBlocks is ${preview(sampleBlocks)}, not true or false`);
  return {
    role,
    lfr: {
      p1: whole(s, 'p1', at),
      s1: finite(s, 's1', at),
      p2: whole(s, 'p2', at),
      p3: whole(s, 'p3', at),
      s2: finite(s, 's2', at),
      p4: whole(s, 'p4', at),
      reps: whole(s, 'reps', at),
    },
    maxBlocks: whole(o, 'maxBlocks', path),
    ...(sampleBlocks === undefined ? {} : { sampleBlocks }),
  };
}

function checkLfr(v: unknown): CheckpointLfr | null {
  if (v === null) return null;
  const o = object(v, 'lfr');
  const path = 'lfr.state';
  const s = object(own(o, 'state'), path);
  const kindValue = own(s, 'kind');
  const kind = SCHEDULE_KINDS.find((k) => k === kindValue);
  if (kind === undefined)
    throw damaged(
      `${path}.kind is ${preview(kindValue)}, not one of ${previewList(SCHEDULE_KINDS)}`,
    );
  const blockCount = whole(s, 'blockCount', path, 1);
  const accumSteps = whole(s, 'accumSteps', path, 1);
  const totalSteps = whole(s, 'totalSteps', path);
  const handed = whole(s, 'handed', path);
  if (handed % accumSteps !== 0 || handed / accumSteps > totalSteps) {
    throw damaged(
      `${path}.handed (${handed}) is not a whole number of steps of ${accumSteps} micro-batches within its ${totalSteps} steps`,
    );
  }
  return {
    plan: checkPlan(own(o, 'plan')),
    state: {
      kind,
      blockCount,
      batchSize: whole(s, 'batchSize', path, 1),
      accumSteps,
      seed: whole(s, 'seed', path),
      firstStep: whole(s, 'firstStep', path),
      totalSteps,
      handed,
      scores: checkScores(own(s, 'scores'), blockCount),
    },
  };
}

/** The LFR payload against the run it belongs to: the schedule ordered this run's batches. */
function checkLfrAgainstRun(lfr: CheckpointLfr, header: CheckpointHeader): void {
  const { state, plan } = lfr;
  const { train } = header.settings;
  const pairs: [string, number, string, number][] = [
    ['lfr.state.batchSize', state.batchSize, 'settings.train.batchSize', train.batchSize],
    [
      'lfr.state.accumSteps',
      state.accumSteps,
      'settings.train.gradAccumSteps',
      train.gradAccumSteps,
    ],
    ['lfr.state.blockCount', state.blockCount, 'sampler.blocks', header.sampler.blocks],
  ];
  for (const [a, x, b, y] of pairs) {
    if (x !== y) throw damaged(`${a} (${x}) is not ${b} (${y})`);
  }
  if (plan) {
    const problems = validateLfrSettings(plan.lfr, state.blockCount, state.batchSize);
    if (problems.length > 0) throw damaged(`lfr.plan.lfr cannot run: ${problems[0]}`);
  }
}

function checkHeader(v: unknown): CheckpointHeader {
  const o = object(v, 'the header');
  const p = 'header';
  const schedule = object(own(o, 'schedule'), 'schedule');
  const sampler = object(own(o, 'sampler'), 'sampler');
  const rngIn = object(own(o, 'rng'), 'rng');
  const rng: Record<string, number> = {};
  for (const key of Object.keys(rngIn)) {
    if (key === '__proto__') throw damaged('rng has a key "__proto__", which no run writes');
    const s = whole({ [clip(key)]: rngIn[key] }, clip(key), 'rng');
    if (s > 0xffffffff) throw damaged(`rng.${clip(key)} (${s}) is not a u32`);
    rng[key] = s;
  }
  if (!Object.hasOwn(o, 'lfr')) throw damaged('it has no lfr field (null for a random schedule)');
  const tensors = array(o, 'tensors', p).map((x, i): TensorEntry => {
    const t = object(x, `tensors[${i}]`);
    const path = `tensors[${i}]`;
    const name = string(t, 'name', path);
    if (!(CHECKPOINT_TENSORS as readonly string[]).includes(name))
      throw damaged(`${path} is ${preview(name)}, not one of ${CHECKPOINT_TENSORS.join(', ')}`);
    if (own(t, 'dtype') !== 'F32')
      throw damaged(`${path} (${name}) has dtype ${preview(own(t, 'dtype'))}, not "F32"`);
    const shape = array(t, 'shape', path).map((d, k) => whole({ d }, 'd', `${path}.shape[${k}]`));
    return {
      name: name as CheckpointTensorName,
      dtype: 'F32',
      shape,
      offset: whole(t, 'offset', path),
      byteLength: whole(t, 'byteLength', path),
    };
  });
  const step = whole(o, 'step', p);
  const scheduleStep = whole(schedule, 'step', 'schedule');
  if (scheduleStep !== step) throw damaged(`schedule.step (${scheduleStep}) is not step (${step})`);
  const blocks = whole(sampler, 'blocks', 'sampler', 1);
  const cursor = whole(sampler, 'cursor', 'sampler');
  if (cursor >= blocks)
    throw damaged(`sampler.cursor (${cursor}) is not below sampler.blocks (${blocks})`);
  const header: CheckpointHeader = {
    settings: checkSettings(own(o, 'settings')),
    step,
    schedule: { step, lr: finite(schedule, 'lr', 'schedule') },
    sampler: {
      seed: whole(sampler, 'seed', 'sampler'),
      epoch: whole(sampler, 'epoch', 'sampler'),
      cursor,
      blocks,
    },
    rng,
    lfr: checkLfr(own(o, 'lfr')),
    history: checkHistory(own(o, 'history')),
    savedAt: string(o, 'savedAt', p),
    tensors,
  };
  if (header.lfr) checkLfrAgainstRun(header.lfr, header);
  return header;
}

/** Checks every tensor against the model's layout; returns the tensor data's byte length. */
function checkTensorTable(tensors: TensorEntry[], n: number, model: GPTConfig): number {
  const describe = `n_layer ${model.nLayer}, n_embd ${model.nEmbd}, vocab ${model.vocabSize}, block_size ${model.blockSize}`;
  for (const name of CHECKPOINT_TENSORS) {
    const found = tensors.filter((t) => t.name === name);
    if (found.length !== 1) {
      throw new CheckpointError(
        `This checkpoint's tensor table lists "${name}" ${found.length} times instead of once: the file is damaged.`,
      );
    }
    const t = found[0];
    if (t.shape.length !== 1 || t.shape[0] !== n || t.byteLength !== n * 4) {
      throw new CheckpointError(
        `This checkpoint's ${name} has shape ${previewList(t.shape)} (${count(t.byteLength)} bytes), but its model (${describe}) needs [${n}] (${count(n * 4)} bytes): the tensors do not match the settings.`,
      );
    }
  }
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  let end = 0;
  for (const t of sorted) {
    if (t.offset !== end) {
      throw new CheckpointError(
        `This checkpoint's ${t.name} starts at byte ${count(t.offset)} of the tensor data, not at ${count(end)} where the previous tensor ends (tensors overlap or leave a gap): the file is damaged.`,
      );
    }
    end += t.byteLength;
  }
  return end;
}

function checkSameModel(got: GPTConfig, want: GPTConfig): void {
  const keys: [keyof GPTConfig, string][] = [
    ['nLayer', 'n_layer'],
    ['nHead', 'n_head'],
    ['nEmbd', 'n_embd'],
    ['blockSize', 'block_size'],
    ['vocabSize', 'vocab_size'],
  ];
  const diffs = keys
    .filter(([k]) => got[k] !== want[k])
    .map(([k, n]) => `${n} ${got[k]} (not ${want[k]})`);
  if (diffs.length > 0) {
    throw new CheckpointError(
      `This checkpoint is for another model: ${diffs.join(', ')}. Choose these settings, or a checkpoint of this model.`,
    );
  }
}
