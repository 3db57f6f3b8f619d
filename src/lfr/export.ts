// The schedule as a file another trainer can replay (e.g. a PyTorch data loader): each phase's
// kept block ids and, for a Focus, the scores that decided its cut; and per-block histories.
import { focusCut, type PhaseName, type Schedule, type ScheduleKind } from './schedule';
import type { BlockScores } from './scores';
import { LfrError, type LfrSettings, validateLfrSettings } from './settings';

export const SCHEDULE_EXPORT_VERSION = 1;

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
  phases: ExportedPhase[];
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function exportSchedule(schedule: Schedule): ScheduleExport {
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
  };
}

export function scheduleToJson(schedule: Schedule): string {
  return JSON.stringify(exportSchedule(schedule));
}

const PHASE_NAMES: readonly PhaseName[] = ['random', 'learn', 'focus', 'review', 'focusAgain'];
const LFR_ORDER: readonly PhaseName[] = ['learn', 'focus', 'review', 'focusAgain'];

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
  for (const key of ['seed', 'batchSize', 'accumSteps', 'blockSize', 'blockCount'] as const) {
    if (!isWhole(v[key]))
      errors.push(`${key} must be a whole number, not ${JSON.stringify(v[key])}.`);
  }
  if (v.kind !== 'lfr' && v.kind !== 'random') {
    errors.push(`kind must be "lfr" or "random", not ${JSON.stringify(v.kind)}.`);
  }
  if (!Array.isArray(v.phases)) errors.push('phases must be an array.');
  if (errors.length > 0) return errors;
  const n = v.blockCount as number;
  const phases = v.phases as unknown[];
  const expected = v.kind === 'lfr' ? LFR_ORDER : (['random'] as const);
  if (v.kind === 'lfr') {
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
    checkCut(p.decidingScores, kept, n, at, errors);
  });
  return errors;
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

function checkCut(
  cut: unknown,
  kept: number[] | null,
  n: number,
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
  const ranked = focusCut(
    Float64Array.from(scores, (s) => (s === null ? Number.NaN : s)),
    cut.dropPercent,
  );
  const same = ranked.kept.length === kept.length && ranked.kept.every((id, i) => id === kept[i]);
  if (!same) {
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
      if (!Number.isNaN(s)) rows.push(`${id},${k},${k * w},${(k + 1) * w},${s}`);
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
