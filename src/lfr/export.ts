// The schedule as a file another trainer can replay exactly (scripts/lfr_replay.py, a PyTorch
// data loader): each phase's kept block ids and, for a Focus, the scores that decided its cut;
// every step's block ids; the shuffle rule that made them, in words; the tokenizer and a hash of
// the token stream the ids index; the raw visit log. Also the per-block histories.
import { sha256Hex, type TokenStream } from '../data/dataset';
import type { Tokenizer, TokenizerName } from '../data/tokenizerTypes';
import {
  focusCut,
  type PhaseName,
  randomCut,
  SCHEDULE_KINDS,
  type Schedule,
  type ScheduleKind,
} from './schedule';
import { type BlockScores, NAN_VISIT } from './scores';
import { LfrError, type LfrSettings, validateLfrSettings } from './settings';

export const SCHEDULE_EXPORT_VERSION = 2;

/** How the studio turns (seed, phase, epoch) into batches: what a replayer must reproduce. */
export const SHUFFLE_RULE = {
  blocks:
    'Block id i is train tokens [start, start + blockSize + 1) with start = blockStarts[i] when the file lists blockStarts (a sample of the split), else i*blockSize: inputs the first blockSize, targets the last blockSize.',
  sample:
    "A sample of n blocks: the generator starts at state (seed ^ 0x5bd1e995) mod 2^32, shuffles the split's ids 0..floor((tokens - 1) / blockSize) - 1 by the order rule, and keeps the first n, ascending; block i starts at id * blockSize.",
  generator:
    'mulberry32 over a u32 state: state = (state + 0x6d2b79f5) mod 2^32; t = state; t = imul(t ^ (t >>> 15), t | 1); t = t ^ ((t + imul(t ^ (t >>> 7), t | 61)) mod 2^32); u32 = t ^ (t >>> 14); int(n) = floor(u32 / 2^32 * n) in float64. imul is 32-bit wrapping multiplication.',
  seeding:
    'The generator of epoch e (from 0, within its phase) of phase p (its index in phases) starts at state (seed ^ imul(p + 1, 0x85ebca6b) ^ imul(e + 1, 0x9e3779b9)) mod 2^32.',
  order:
    "Fisher-Yates from the phase's keptIds, ascending: for i = n - 1 down to 1: j = int(i + 1); swap order[i] and order[j].",
  randomDrop:
    'A randomDrop schedule ignores the scores at a cut: the generator starts at state (seed ^ imul(p + 1, 0x85ebca6b)) mod 2^32 for the Focus of phase index p, shuffles 0..blockCount-1 by the order rule, and drops the first round(blockCount * dropPercent / 100) ids (halves up).',
  padding:
    "A phase's visits are its epochs' orders one after another. Micro-batch m of the phase (from 0) is visits [m*batchSize, (m + 1)*batchSize); step s of the phase is micro-batches [s*accumSteps, (s + 1)*accumSteps). The phase's last step continues into the next epoch's order, so it may repeat blocks; they are trained like any other.",
} as const;

/** The token stream the block ids index: the run's whole train split, as a .bin file. */
export interface ReplayData {
  tokenizer: { name: TokenizerName; vocabSize: number; eosId: number };
  /** Little-endian ids, `dtype` each; sha256 of exactly those bytes. */
  tokens: { split: 'train'; count: number; dtype: 'uint8' | 'uint16' | 'uint32'; sha256: string };
}

/** The data record of a replay file: the stream's tokenizer, length, dtype and hash. */
export async function replayData(stream: TokenStream, tokenizer: Tokenizer): Promise<ReplayData> {
  const t = stream.tokens;
  const dtype = t instanceof Uint8Array ? 'uint8' : t instanceof Uint16Array ? 'uint16' : 'uint32';
  const bytes = new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
  return {
    tokenizer: { name: tokenizer.name, vocabSize: tokenizer.vocabSize, eosId: tokenizer.eosId },
    tokens: { split: 'train', count: t.length, dtype, sha256: await sha256Hex(bytes) },
  };
}

/** A Focus cut as exported: JSON has no NaN, so an unscored block's score is null. */
export interface ExportedCut {
  /** Name of the phase whose mean scores ranked the blocks. */
  decidedBy: PhaseName;
  dropPercent: number;
  /** (blockCount) score of each block, by id. */
  scores: (number | null)[];
  /** The highest dropped score; null when nothing was dropped. */
  cutValue: number | null;
}

export interface ExportedPhase {
  name: PhaseName;
  epochs: number;
  startStep: number;
  endStep: number;
  /** Ascending ids the phase trains on; null while a Focus cut is still pending. */
  keptIds: number[] | null;
  decidingScores?: ExportedCut;
}

export interface ScheduleExport {
  version: typeof SCHEDULE_EXPORT_VERSION;
  kind: ScheduleKind;
  settings: LfrSettings | null;
  seed: number;
  batchSize: number;
  accumSteps: number;
  blockSize: number;
  blockCount: number;
  /** Each block's stream position when the blocks are a sample of the split; null: i * blockSize. */
  blockStarts: number[] | null;
  /** The trainer's step number of the schedule's step 0 (the visit log's steps count from it). */
  firstStep: number;
  shuffle: typeof SHUFFLE_RULE;
  /** Null when exported without its data (a replayer then cannot check the tokens). */
  data: ReplayData | null;
  phases: ExportedPhase[];
  /** Each step's accumSteps x batchSize block ids, micro-batch by micro-batch, for every step whose phase is decided. */
  steps: number[][];
  /** Every visit observed since fromStep: [trainer step, block id, sequence loss (null if not finite)]. */
  visits: { fromStep: number | null; rows: [number, number, number | null][] };
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

// Every step's ids up to the first one whose phase's cut is still pending.
function stepIds(schedule: Schedule): number[][] {
  const { accumSteps: A, batchSize: B } = schedule;
  const ids = new Uint32Array(B);
  const steps: number[][] = [];
  for (let s = 0; s < schedule.totalSteps(); s++) {
    const step: number[] = [];
    for (let a = 0; a < A; a++) {
      if (!schedule.microBatchIds(s * A + a, ids)) return steps;
      step.push(...ids);
    }
    steps.push(step);
  }
  return steps;
}

export function exportSchedule(schedule: Schedule, data: ReplayData | null = null): ScheduleExport {
  const spans = schedule.phases();
  return {
    version: SCHEDULE_EXPORT_VERSION,
    kind: schedule.kind,
    settings: schedule.settings ? { ...schedule.settings } : null,
    seed: schedule.seed,
    batchSize: schedule.batchSize,
    accumSteps: schedule.accumSteps,
    blockSize: schedule.blocks.blockSize,
    blockCount: schedule.blocks.count,
    blockStarts: schedule.blocks.starts ? Array.from(schedule.blocks.starts) : null,
    firstStep: schedule.firstStep,
    shuffle: SHUFFLE_RULE,
    data,
    phases: spans.map((p) => {
      const kept = schedule.keptIds(p.index);
      const cut = schedule.cut(p.index);
      const phase: ExportedPhase = {
        name: p.name,
        epochs: p.epochs,
        startStep: p.startStep,
        endStep: p.endStep,
        keptIds: kept ? Array.from(kept) : null,
      };
      if (cut) {
        phase.decidingScores = {
          decidedBy: spans[cut.decidedBy].name,
          dropPercent: cut.dropPercent,
          scores: Array.from(cut.scores, finiteOrNull),
          cutValue: finiteOrNull(cut.cutValue),
        };
      }
      return phase;
    }),
    steps: stepIds(schedule),
    visits: { fromStep: schedule.visits.fromStep, rows: schedule.visits.rows() },
  };
}

export function scheduleToJson(schedule: Schedule, data: ReplayData | null = null): string {
  return JSON.stringify(exportSchedule(schedule, data));
}

const PHASE_NAMES: readonly PhaseName[] = ['random', 'learn', 'focus', 'review', 'focusAgain'];
const PHASE_ORDERS: Record<ScheduleKind, readonly PhaseName[]> = {
  random: ['random'],
  lfr: ['learn', 'focus', 'review', 'focusAgain'],
  randomDrop: ['learn', 'focus', 'review', 'focusAgain'],
  noReview: ['learn', 'focus', 'focus', 'focusAgain'],
};

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isWhole = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/**
 * Reads a schedule file and checks it can be replayed: shape, ranges, contiguous phases, and for
 * each Focus that its kept ids are exactly what its scores and percent give. Throws an LfrError
 * naming every problem.
 */
export function parseScheduleJson(text: string): ScheduleExport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new LfrError(`The schedule file is not JSON: ${e instanceof Error ? e.message : e}.`);
  }
  const errors = checkScheduleExport(value);
  if (errors.length > 0) {
    throw new LfrError(`The schedule file cannot be replayed:\n${errors.join('\n')}`);
  }
  return value as ScheduleExport;
}

function checkScheduleExport(v: unknown): string[] {
  if (!isRecord(v)) return ['It must be a JSON object.'];
  if (v.version !== SCHEDULE_EXPORT_VERSION) {
    return [`version must be ${SCHEDULE_EXPORT_VERSION}, not ${JSON.stringify(v.version)}.`];
  }
  const errors: string[] = [];
  const keys = ['seed', 'batchSize', 'accumSteps', 'blockSize', 'blockCount', 'firstStep'] as const;
  for (const key of keys) {
    if (!isWhole(v[key]))
      errors.push(`${key} must be a whole number, not ${JSON.stringify(v[key])}.`);
  }
  const kind = SCHEDULE_KINDS.find((k) => k === v.kind);
  if (kind === undefined) {
    errors.push(`kind must be one of ${SCHEDULE_KINDS.join(', ')}, not ${JSON.stringify(v.kind)}.`);
  }
  const starts = v.blockStarts;
  // Absent in files saved before samples existed: the first blocks.
  if (
    starts !== null &&
    starts !== undefined &&
    !(
      Array.isArray(starts) &&
      starts.length === v.blockCount &&
      starts.every((p, i) => isWhole(p) && (i === 0 || p > starts[i - 1]))
    )
  ) {
    errors.push(
      'blockStarts must be null or the blockCount stream positions of the blocks, ascending.',
    );
  }
  if (!Array.isArray(v.phases)) errors.push('phases must be an array.');
  if (!Array.isArray(v.steps)) errors.push("steps must be an array (each step's block ids).");
  if (errors.length > 0 || kind === undefined) return errors;
  const n = v.blockCount as number;
  const phases = v.phases as unknown[];
  const expected = PHASE_ORDERS[kind];
  if (kind !== 'random') {
    if (!isRecord(v.settings)) {
      errors.push('settings must be the LFR settings object.');
    } else {
      errors.push(
        ...validateLfrSettings(v.settings as unknown as LfrSettings, n, v.batchSize as number),
      );
    }
  } else if (v.settings !== null) {
    errors.push('settings must be null for a random schedule.');
  }
  if (phases.length !== expected.length) {
    errors.push(`A ${v.kind} schedule has ${expected.length} phases, not ${phases.length}.`);
    return errors;
  }
  let step = 0;
  const keptOf: (number[] | null)[] = [];
  phases.forEach((p, i) => {
    const at = `phases[${i}]`;
    if (!isRecord(p)) {
      errors.push(`${at} must be an object.`);
      return;
    }
    if (p.name !== expected[i]) {
      const known = PHASE_NAMES.includes(p.name as PhaseName) ? '' : ' (unknown phase)';
      errors.push(`${at}.name must be "${expected[i]}", not ${JSON.stringify(p.name)}${known}.`);
    }
    if (typeof p.epochs !== 'number' || !(p.epochs >= 0)) {
      errors.push(`${at}.epochs must be a number of at least 0, not ${JSON.stringify(p.epochs)}.`);
    }
    if (!isWhole(p.startStep) || !isWhole(p.endStep) || p.endStep < p.startStep) {
      errors.push(`${at} must have whole startStep <= endStep.`);
    } else {
      if (p.startStep !== step) {
        errors.push(`${at}.startStep is ${p.startStep}; the phase before it ends at ${step}.`);
      }
      step = p.endStep;
    }
    const kept = checkIds(p.keptIds, n, `${at}.keptIds`, errors);
    keptOf.push(kept);
    const focus = p.name === 'focus' || p.name === 'focusAgain';
    if (p.decidingScores === undefined) {
      if (focus && kept !== null) errors.push(`${at} has keptIds but no decidingScores.`);
      else if (!focus && kept?.length !== n) {
        errors.push(`${at}.keptIds must list all ${n} blocks: only a Focus drops any.`);
      }
      return;
    }
    if (!focus) {
      errors.push(`${at} is not a Focus, so it has no decidingScores.`);
      return;
    }
    const random = kind === 'randomDrop' ? { seed: v.seed as number, phase: i } : null;
    checkCut(p.decidingScores, kept, n, random, at, errors);
  });
  if (errors.length === 0)
    checkSteps(v.steps as unknown[], phases as ExportedPhase[], keptOf, v, errors);
  return errors;
}

// Each listed step holds accumSteps x batchSize ids, all kept by the step's phase.
function checkSteps(
  steps: unknown[],
  phases: ExportedPhase[],
  keptOf: (number[] | null)[],
  v: Record<string, unknown>,
  errors: string[],
): void {
  const perStep = (v.accumSteps as number) * (v.batchSize as number);
  const total = phases[phases.length - 1].endStep;
  if (steps.length > total) {
    errors.push(`steps lists ${steps.length} steps, but the phases end at step ${total}.`);
    return;
  }
  const keptSets = keptOf.map((k) => (k === null ? null : new Set(k)));
  let phase = 0;
  for (let s = 0; s < steps.length; s++) {
    while (s >= phases[phase].endStep) phase++;
    const ids = steps[s];
    const kept = keptSets[phase];
    if (
      !Array.isArray(ids) ||
      ids.length !== perStep ||
      kept === null ||
      !ids.every((id) => kept.has(id))
    ) {
      errors.push(
        `steps[${s}] must be ${perStep} block ids kept by its phase (${phases[phase].name}).`,
      );
      return;
    }
  }
}

// Ascending whole ids in [0, n), or null; an error otherwise.
function checkIds(ids: unknown, n: number, at: string, errors: string[]): number[] | null {
  if (ids === null) return null;
  if (!Array.isArray(ids)) {
    errors.push(`${at} must be an array of block ids or null.`);
    return null;
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!isWhole(id) || id >= n || (i > 0 && id <= ids[i - 1])) {
      errors.push(
        `${at}[${i}] = ${JSON.stringify(id)}: ids must be whole numbers in [0, ${n}), ascending without repeats.`,
      );
      return null;
    }
  }
  return ids as number[];
}

// A random drop's kept ids are the generator's (seed, phase); any other Focus's, its scores'.
function checkCut(
  cut: unknown,
  kept: number[] | null,
  n: number,
  random: { seed: number; phase: number } | null,
  at: string,
  errors: string[],
): void {
  const scores = isRecord(cut) ? cut.scores : undefined;
  if (
    !isRecord(cut) ||
    !Array.isArray(scores) ||
    scores.length !== n ||
    !scores.every((s) => s === null || typeof s === 'number') ||
    typeof cut.dropPercent !== 'number' ||
    !(cut.cutValue === null || typeof cut.cutValue === 'number')
  ) {
    errors.push(
      `${at}.decidingScores must hold dropPercent, cutValue and ${n} scores (numbers or null).`,
    );
    return;
  }
  if (kept === null) {
    errors.push(`${at} has decidingScores but no keptIds.`);
    return;
  }
  const ranked = random
    ? randomCut(n, cut.dropPercent, random.seed, random.phase)
    : focusCut(
        Float64Array.from(scores, (s) => (s === null ? Number.NaN : s)),
        cut.dropPercent,
      );
  const same = ranked.kept.length === kept.length && ranked.kept.every((id, i) => id === kept[i]);
  if (random && !same) {
    errors.push(
      `${at}.keptIds are not the blocks left by the random drop of ${cut.dropPercent}% that the seed gives.`,
    );
  } else if (!same) {
    errors.push(
      `${at}.keptIds are not the blocks left when the ${cut.dropPercent}% lowest of its decidingScores are dropped (ties by id).`,
    );
  }
}

/** Long-format history: one row per visited (block, slice) with the slice's step range. */
export function historiesCsv(store: BlockScores): string {
  const { data, slices, blockCount: n, sliceWidth: w } = store.grid();
  const rows = ['block,slice,start_step,end_step,score'];
  for (let id = 0; id < n; id++) {
    for (let k = 0; k < slices; k++) {
      const s = data[k * n + id];
      // A visit that scored NaN is a row too, spelled as pandas and NumPy read it back.
      if (!Number.isNaN(s))
        rows.push(`${id},${k},${k * w},${(k + 1) * w},${s === NAN_VISIT ? 'nan' : s}`);
    }
  }
  return `${rows.join('\n')}\n`;
}

export interface HistoriesExport {
  sliceWidth: number;
  slices: number;
  blocks: {
    id: number;
    visits: number;
    lastScore: number | null;
    lastStep: number;
    /** [slice, score] of each visited slice. */
    history: [number, number][];
  }[];
}

export function historiesJson(store: BlockScores): HistoriesExport {
  const blocks: HistoriesExport['blocks'] = [];
  for (let id = 0; id < store.blockCount; id++) {
    blocks.push({
      id,
      visits: store.visits(id),
      lastScore: finiteOrNull(store.lastScore(id)),
      lastStep: store.lastStep(id),
      history: store.historyOf(id).map((h): [number, number] => [h.slice, h.score]),
    });
  }
  return { sliceWidth: store.sliceWidth, slices: store.usedSlices, blocks };
}
