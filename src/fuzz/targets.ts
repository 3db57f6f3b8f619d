// Every parser a user reaches with a file or a link, as a fuzz target: valid inputs to start
// from, how to mutate them, what to run, and which errors count as a clear refusal. A target's
// run also exercises what the studio does next with an accepted input (a checkpoint's schedule
// restored, a recording's LFR views fed, a text tokenized), so acceptance must be correct too.
import { readFileSync } from 'node:fs';
import { crc32 } from '../checkpoint/crc32';
import {
  baseDifferences,
  decodeFinetuneCheckpoint,
  encodeFinetuneCheckpoint,
  type FinetuneCheckpointParts,
  type FinetuneRunSettings,
  finetuneTensorLayout,
} from '../checkpoint/finetuneFormat';
import {
  CheckpointError,
  type CheckpointParts,
  decodeCheckpoint,
  encodeCheckpoint,
} from '../checkpoint/format';
import { DataError } from '../data/errors';
import { gpt2Tokenizer } from '../data/gpt2';
import { parseArgs, prepare } from '../data/prepare';
import { byteTokenizer } from '../data/tokenizer';
import { userDataset, userTextDocuments } from '../data/userText';
import { HfImportError, importHfGpt2 } from '../export/hfGpt2';
import { SafetensorsError } from '../export/safetensors';
import { Schedule } from '../lfr/schedule';
import { LfrError } from '../lfr/settings';
import { ScheduleMirror } from '../lfr/stream';
import type { GPTConfig } from '../model/config';
import { PRESETS } from '../model/config';
import { buildParamTable } from '../model/params';
import type { LoraOptimizerKind } from '../optim/loraOptimizer';
import type { FinetuneRecording } from '../replay/finetuneFormat';
import { isFinetuneRecording, parseRecording, RecordingError } from '../replay/format';
import { applyFinetuneProgress, initialFinetune } from '../store/finetuneSlice';
import { appendInvarianceStep } from '../store/invarianceSteps';
import { MAX_LINK_MESSAGES, parseSettingsUrl } from '../store/urlSettings';
import { countingBlocks, play } from '../test/lfrRun';
import type { Rng } from '../util/rng';
import { type Mutated, mutateBytes, mutateJson, truncate } from './mutate';

type ErrorClass = abstract new (...args: never[]) => Error;

export interface FuzzTarget {
  name: string;
  /** The studio's errors that are a clear refusal of this input. */
  refusals: readonly ErrorClass[];
  /** How many inputs of the fixed-seed run in `npm test` (the suite's 60 s budget). */
  testCases: number;
  /** Inputs every run checks first (e.g. the valid file cut at every offset). */
  fixed(): Iterable<Mutated<Input>>;
  mutate(rng: Rng): Mutated<Input>;
  /** Parses the input and uses what was accepted; throws a refusal, or returns. */
  run(input: Input): Promise<void> | void;
}

/** What a target feeds its parser: file bytes, file text, a query string or argv. */
export type Input = Uint8Array | string | string[];

const fixture = (path: string) => new URL(`../../${path}`, import.meta.url);
const bytesOf = (path: string) => new Uint8Array(readFileSync(fixture(path)));
const asBytes = (input: Input) => (input instanceof Uint8Array ? input : new Uint8Array());
const asText = (input: Input) => (typeof input === 'string' ? input : '');

function* everyTruncation(bytes: Uint8Array): Iterable<Mutated<Uint8Array>> {
  for (let at = 0; at < bytes.length; at++) yield truncate(bytes, at);
}

// ---- safetensors and the Hugging Face import ----

const SAFETENSORS = bytesOf('src/export/fixtures/gpt2-tiny.safetensors');
const CONFIG_JSON = readFileSync(fixture('src/export/fixtures/config.json'), 'utf8');

/** The file with its header JSON replaced (the header length follows it). */
function withSafetensorsHeader(bytes: Uint8Array, header: string): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

function safetensorsHeader(bytes: Uint8Array): unknown {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

const safetensors: FuzzTarget = {
  name: 'safetensors + Hugging Face import',
  refusals: [SafetensorsError, HfImportError],
  testCases: 500,
  fixed: () => everyTruncation(SAFETENSORS),
  mutate(rng) {
    const kind = rng.int(3);
    if (kind === 0) return mutateBytes(rng, SAFETENSORS);
    if (kind === 1) {
      const out = SAFETENSORS.slice();
      const length = [2n ** 64n - 1n, 2n ** 53n, 2n ** 31n, 0n, 1n][rng.int(5)];
      new DataView(out.buffer).setBigUint64(0, length, true);
      return { value: out, what: `header length = ${length}` };
    }
    const edit = mutateJson(rng, safetensorsHeader(SAFETENSORS));
    return { value: withSafetensorsHeader(SAFETENSORS, edit.value), what: `header: ${edit.what}` };
  },
  run: (input) => void importHfGpt2(asBytes(input)),
};

const hfConfig: FuzzTarget = {
  name: 'Hugging Face config.json',
  refusals: [SafetensorsError, HfImportError],
  testCases: 300,
  fixed: () => [],
  mutate: (rng) => mutateJson(rng, JSON.parse(CONFIG_JSON)),
  run: (input) => void importHfGpt2(SAFETENSORS, asText(input)),
};

// ---- checkpoints, and the schedule restored from one ----

const CKPT_MODEL: GPTConfig = { blockSize: 4, vocabSize: 16, nLayer: 1, nHead: 1, nEmbd: 4 };

function checkpointParts(): CheckpointParts {
  const n = buildParamTable(CKPT_MODEL).totalLength;
  const train = { ...PRESETS[0].train, batchSize: 4, maxSteps: 30 };
  const lfr = { p1: 1, s1: 50, p2: 1, p3: 1, s2: 50, p4: 1, reps: 1 };
  const order = { batchSize: train.batchSize, accumSteps: train.gradAccumSteps, seed: train.seed };
  const schedule = Schedule.lfr(countingBlocks(20), lfr, order);
  play(schedule, (id, phase) => 1 + ((id * 7 + phase) % 5));
  const values = Float32Array.from({ length: n }, (_, i) => (i % 13) * 0.01);
  return {
    settings: {
      preset: 'tiny',
      tokenizer: 'byte',
      model: CKPT_MODEL,
      train,
      data: { choice: 'openwebtext', name: 'openwebtext', trainTokens: 5000, valTokens: 900 },
    },
    step: 3,
    schedule: { step: 3, lr: 0.001 },
    sampler: { seed: train.seed, epoch: 0, cursor: 0, blocks: 20 },
    rng: { sampling: 12345 },
    lfr: { plan: { role: 'lfr', lfr, maxBlocks: 0 }, state: schedule.saveState() },
    history: { train: [{ step: 1, loss: 2.5, lr: 0.001, gradNorm: 1 }], val: [] },
    savedAt: '2026-01-01T00:00:00.000Z',
    params: values,
    m: values,
    v: values,
  };
}

const CHECKPOINT = encodeCheckpoint(checkpointParts());

/** The checkpoint with its header JSON replaced, lengths and checksum recomputed. */
function withCheckpointHeader(bytes: Uint8Array, header: string): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const H = view.getUint32(12, true);
  const json = new TextEncoder().encode(header);
  const padded = Math.ceil(json.length / 8) * 8;
  const tensors = bytes.subarray(16 + H, bytes.length - 4);
  const out = new Uint8Array(16 + padded + tensors.length + 4);
  out.set(bytes.subarray(0, 12));
  const o = new DataView(out.buffer);
  o.setUint32(12, padded, true);
  out.fill(0x20, 16, 16 + padded);
  out.set(json, 16);
  out.set(tensors, 16 + padded);
  o.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

function checkpointHeader(bytes: Uint8Array): unknown {
  const H = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + H)));
}

/** What resuming does with a decoded checkpoint's schedule: rebuild it and restore its state. */
function restoreSchedule(parts: CheckpointParts): void {
  if (!parts.lfr?.plan) return;
  const { plan, state } = parts.lfr;
  const train = parts.settings.train;
  const order = { batchSize: train.batchSize, accumSteps: train.gradAccumSteps, seed: train.seed };
  const lfr = Schedule.lfr(countingBlocks(state.blockCount), plan.lfr, order);
  const schedule = plan.role === 'lfr' ? lfr : Schedule.baseline(lfr);
  schedule.restoreState(state);
}

const checkpoint: FuzzTarget = {
  name: 'checkpoint decode + schedule restore',
  refusals: [CheckpointError, LfrError],
  testCases: 500,
  *fixed() {
    // Every offset of the header and its surroundings; the tensor data in steps of 61 bytes.
    const H = new DataView(CHECKPOINT.buffer).getUint32(12, true);
    for (let at = 0; at < CHECKPOINT.length; at += at < H + 64 ? 1 : 61)
      yield truncate(CHECKPOINT, at);
  },
  mutate(rng) {
    if (rng.int(4) === 0) return mutateBytes(rng, CHECKPOINT);
    const edit = mutateJson(rng, checkpointHeader(CHECKPOINT));
    return { value: withCheckpointHeader(CHECKPOINT, edit.value), what: `header: ${edit.what}` };
  },
  run: (input) => restoreSchedule(decodeCheckpoint(asBytes(input))),
};

// ---- fine-tune checkpoints, and the base check a resume makes ----

const FT_MODEL: GPTConfig = { blockSize: 4, vocabSize: 16, nLayer: 1, nHead: 1, nEmbd: 4 };

function finetuneParts(): FinetuneCheckpointParts {
  const settings: FinetuneRunSettings = {
    lora: { rank: 2, alpha: 4, targets: ['attn.c_attn', 'mlp.c_proj'] },
    optimizers: ['adam', 'rite'],
    lr: 1e-3,
    riteLr: 2e-2,
    warmupSteps: 1,
    decay: 'cosine',
    steps: 20,
    batchSize: 2,
    escapedMass: true,
    seed: 3,
    order: 'interleaved',
  };
  const layout = finetuneTensorLayout(FT_MODEL, settings);
  const values = (length: number) => Float32Array.from({ length }, (_, i) => (i % 11) * 0.01);
  const tensorsOf = (kind: LoraOptimizerKind) => {
    const mine = layout.filter((t) => t.kind === kind);
    return { adapters: values(mine[0].length), state: mine.slice(1).map((t) => values(t.length)) };
  };
  const sampler = { seed: 3, epoch: 0, cursor: 4, blocks: 9 };
  const losses = [{ step: 1, loss: 2.5 }];
  return {
    base: {
      source: 'run',
      runId: 'run-x',
      name: 'tiny',
      step: 12,
      model: FT_MODEL,
      tokenizer: 'byte',
      paramsSha256: '0f'.repeat(32),
    },
    data: { text: 'heldout', name: 'openwebtext' },
    settings,
    optimizers: [
      { kind: 'adam', step: 2, sampler, losses },
      { kind: 'rite', step: 2, sampler, losses },
    ],
    savedAt: '2026-01-01T00:00:00.000Z',
    tensors: { adam: tensorsOf('adam'), rite: tensorsOf('rite') },
  };
}

const FINETUNE_CHECKPOINT = encodeFinetuneCheckpoint(finetuneParts());

const finetuneCheckpoint: FuzzTarget = {
  name: 'fine-tune checkpoint decode + base check',
  refusals: [CheckpointError],
  testCases: 400,
  *fixed() {
    const H = new DataView(FINETUNE_CHECKPOINT.buffer).getUint32(12, true);
    for (let at = 0; at < FINETUNE_CHECKPOINT.length; at += at < H + 64 ? 1 : 17)
      yield truncate(FINETUNE_CHECKPOINT, at);
  },
  mutate(rng) {
    if (rng.int(4) === 0) return mutateBytes(rng, FINETUNE_CHECKPOINT);
    const edit = mutateJson(rng, checkpointHeader(FINETUNE_CHECKPOINT));
    return {
      value: withCheckpointHeader(FINETUNE_CHECKPOINT, edit.value),
      what: `header: ${edit.what}`,
    };
  },
  run(input) {
    const parts = decodeFinetuneCheckpoint(asBytes(input));
    baseDifferences(parts.base, finetuneParts().base);
    // What a resume hands the trainer: every tensor of every optimizer, of the layout's length.
    const layout = finetuneTensorLayout(parts.base.model, parts.settings);
    const got = parts.settings.optimizers.flatMap((k) => {
      const t = parts.tensors[k];
      return t ? [t.adapters.length, ...t.state.map((s) => s.length)] : [];
    });
    if (got.join() !== layout.map((t) => t.length).join())
      throw new Error(`accepted tensors of ${got.join()} floats, not the layout's`);
  },
};

// ---- recordings, and the views fed from them ----

const shippedRecording = (f: string) => readFileSync(fixture(`public/recordings/${f}`), 'utf8');
const RECORDINGS = ['tiny-lfr.json', 'tiny.json'].map(shippedRecording);
const FINETUNE_RECORDINGS = ['tiny-finetune.json'].map(shippedRecording);

/** A recording target: the shipped files, mutated, parsed, then played into the views' state. */
function recordingTarget(name: string, files: readonly string[]): FuzzTarget {
  return {
    name,
    refusals: [RecordingError],
    testCases: 200,
    fixed: () => files.map((value, i) => ({ value, what: `shipped recording ${i}` })),
    mutate(rng) {
      const text = files[rng.int(files.length)];
      if (rng.int(8) === 0) {
        const cut = truncate(new TextEncoder().encode(text), rng.int(text.length));
        return { value: new TextDecoder().decode(cut.value), what: cut.what };
      }
      return mutateJson(rng, JSON.parse(text));
    },
    run(input) {
      const r = parseRecording(asText(input), 'run.json');
      if (isFinetuneRecording(r)) {
        playFinetune(r);
        return;
      }
      let mirror: ScheduleMirror | undefined;
      for (const e of r.events) {
        const lfr = e.progress?.lfr;
        if (!lfr) continue;
        if (lfr.plan) mirror = new ScheduleMirror(lfr.plan);
        mirror?.apply(lfr);
      }
    },
  };
}

// The fine-tune view's state as a replay builds it: the curves, the run, the demo's series.
function playFinetune(r: FinetuneRecording): void {
  const slice = initialFinetune();
  for (const e of r.events) {
    if ('progress' in e) Object.assign(slice, applyFinetuneProgress(slice, e.progress));
    else if ('invariance' in e)
      slice.invariance.series = appendInvarianceStep(slice.invariance.series, e.invariance);
  }
}

const recording = recordingTarget('recording', RECORDINGS);
const finetuneRecording = recordingTarget('finetune-recording', FINETUNE_RECORDINGS);

// ---- links ----

const LINK_PARTS = [
  'preset=tiny',
  'preset=huge',
  'lr=0.001',
  'lr=abc',
  'lr=1e400',
  'n_layer=1000000000',
  'n_layer=48',
  'steps=-1',
  'hide=model,optimizer',
  'hide=charts',
  'lock=lr,steps',
  '__proto__=1',
  'constructor=x',
  'hide=__proto__,toString',
  'tour=step',
  `hide=${'x'.repeat(100_000)}`,
  `hide=${Array.from({ length: 10_000 }, (_, i) => `p${i}`).join(',')}`,
  '%ZZ=%',
  '=&&=',
];

const link: FuzzTarget = {
  name: 'link settings',
  refusals: [],
  testCases: 200,
  fixed: () => [{ value: `?${'hide=a&'.repeat(100_000)}`, what: '100,000 hide= parts' }],
  mutate(rng) {
    const n = 1 + rng.int(8);
    const parts = Array.from({ length: n }, () => LINK_PARTS[rng.int(LINK_PARTS.length)]);
    return { value: `?${parts.join('&')}`, what: parts.map((p) => p.slice(0, 30)).join('&') };
  },
  run(input) {
    const url = parseSettingsUrl(asText(input));
    if (url.messages.length > MAX_LINK_MESSAGES || url.messages.some((m) => m.length > 1000))
      throw new Error(`${url.messages.length} messages, or one over 1,000 characters`);
  },
};

// ---- user text, JSONL, and the data CLI ----

const TEXT = new TextEncoder().encode(
  'First document, café.\n\nSecond one, 日本語.\n\nThird 🙂 with a tab\tand more words.\n',
);
const JSONL = new TextEncoder().encode('{"text":"one"}\n{"text":"two, naïve"}\n{"text":"three"}\n');

/** Text-level damage: long runs, control bytes, deep JSON on a line. */
function mutateText(rng: Rng, bytes: Uint8Array): Mutated<Uint8Array> {
  const text = new TextDecoder().decode(bytes);
  const at = rng.int(text.length);
  const runs = ['a', '7', ' ', '\n', '-', '🙂', '\u0001', '\u0000', '{"text":', '['];
  if (rng.int(3) > 0) return mutateBytes(rng, bytes);
  const piece = runs[rng.int(runs.length)];
  const n = [1, 300, 20_000][rng.int(3)];
  const out = `${text.slice(0, at)}${piece.repeat(n)}${text.slice(at)}`;
  return { value: new TextEncoder().encode(out), what: `${JSON.stringify(piece)} x ${n} at ${at}` };
}

const userText: FuzzTarget = {
  name: 'user text and JSONL',
  refusals: [DataError],
  testCases: 300,
  fixed: () => everyTruncation(JSONL),
  mutate: (rng) => mutateText(rng, rng.int(2) === 0 ? TEXT : JSONL),
  run(input) {
    const bytes = asBytes(input);
    const name = bytes[0] === 0x7b ? 'data.jsonl' : 'notes.txt';
    const docs = userTextDocuments(bytes, name, 'text');
    userDataset(docs, name, byteTokenizer);
    for (const doc of docs) {
      if (gpt2Tokenizer.decode(gpt2Tokenizer.encode(doc)) !== doc) {
        throw new Error('GPT-2 decode(encode(doc)) is not the document');
      }
    }
  },
};

const ARGS = [
  'in.txt',
  'out',
  '--tokenizer',
  'gpt2',
  'byte',
  'latin1',
  '--val-fraction',
  '0.1',
  '1',
  'NaN',
  '--field',
  'text',
  '__proto__',
  '--bogus',
  '',
];

const dataCli: FuzzTarget = {
  name: 'data CLI arguments and input',
  refusals: [DataError],
  testCases: 400,
  fixed: () => [],
  mutate(rng) {
    const n = rng.int(7);
    const argv = Array.from({ length: n }, () => ARGS[rng.int(ARGS.length)]);
    return { value: argv, what: `argv ${JSON.stringify(argv)}` };
  },
  async run(input) {
    const argv = Array.isArray(input) ? input : [];
    const options = parseArgs(argv);
    const bytes = options.input.endsWith('.jsonl') ? JSONL : TEXT;
    await prepare(bytes, options.input, byteTokenizer, options);
  },
};

export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  safetensors,
  hfConfig,
  checkpoint,
  finetuneCheckpoint,
  recording,
  finetuneRecording,
  link,
  userText,
  dataCli,
];
