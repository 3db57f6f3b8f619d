// LFR in the page: the schedule fields of the training form and their checks, the mirror of each
// scheduled run's scores (kept outside zustand's immutable state, with a version number in it),
// the block the user clicked, and the LFR-against-random comparison.
import { armOfKind, LFR_ARMS, type LfrArm } from '../lfr/arms';
import { plannedLfrSize } from '../lfr/schedule';
import { DEFAULT_LFR_SETTINGS, type LfrSettings, validateLfrSettings } from '../lfr/settings';
import { type LfrPlan, type LfrProgress, ScheduleMirror } from '../lfr/stream';
import type { BlockText, LfrRole, RunSchedule, TrainSettings, ValPoint } from '../worker/protocol';

export type ScheduleChoice = 'random' | 'lfr';
export type LfrFieldKey = keyof LfrSettings | 'blocks';

export interface LfrFieldSpec {
  key: LfrFieldKey;
  label: string;
  hint: string;
}

export const LFR_FIELDS: readonly LfrFieldSpec[] = [
  {
    key: 'p1',
    label: 'p1 (Learn epochs)',
    hint: 'Epochs over every block, scoring each; at least 1.',
  },
  {
    key: 's1',
    label: 's1 (% dropped)',
    hint: 'Percent of blocks, the easiest by their Learn scores, the first Focus drops; in [0, 100).',
  },
  { key: 'p2', label: 'p2 (Focus epochs)', hint: 'Epochs over the blocks the first Focus keeps.' },
  { key: 'p3', label: 'p3 (Review epochs)', hint: 'Epochs over every block again; at least 1.' },
  {
    key: 's2',
    label: 's2 (% dropped)',
    hint: 'Percent of blocks, the easiest by their Review scores, the second Focus drops; in [0, 100).',
  },
  { key: 'p4', label: 'p4 (Focus epochs)', hint: 'Epochs per repetition of the second Focus.' },
  { key: 'reps', label: 'reps', hint: 'Repetitions of the second Focus: reps x p4 epochs.' },
  {
    key: 'blocks',
    label: 'blocks',
    hint: 'Train on the first N blocks of the data, 0 for all: LFR tracks every block, so fewer make a quicker experiment.',
  },
];

export interface LfrForm {
  schedule: ScheduleChoice;
  /** The blocks field takes a random sample (from the run's seed) instead of the first N; absent: off. */
  sample?: boolean;
  values: Record<LfrFieldKey, string>;
}

export function defaultLfrForm(): LfrForm {
  const values = Object.fromEntries(
    Object.entries(DEFAULT_LFR_SETTINGS).map(([k, v]) => [k, String(v)]),
  ) as Record<keyof LfrSettings, string>;
  return { schedule: 'random', values: { ...values, blocks: '0' } };
}

const parse = (text: string): number => (text.trim() === '' ? Number.NaN : Number(text));

/** The schedule a form describes, for a run in `role`. */
export function scheduleFromForm(form: LfrForm, role: LfrRole): RunSchedule {
  const v = form.values;
  const lfr: LfrSettings = {
    p1: parse(v.p1),
    s1: parse(v.s1),
    p2: parse(v.p2),
    p3: parse(v.p3),
    s2: parse(v.s2),
    p4: parse(v.p4),
    reps: parse(v.reps),
  };
  // Left out unless ticked, so a default run's plan (and its checkpoint) is as before samples.
  const sample = form.sample === true ? { sampleBlocks: true } : {};
  return { role, lfr, maxBlocks: parse(v.blocks), ...sample };
}

/** Blocks a run trains on: those of the loaded data (if known), capped by the blocks field. */
export function runBlockCount(
  maxBlocks: number,
  trainTokens: number | undefined,
  blockSize: number,
): number | undefined {
  const all =
    trainTokens === undefined || !(blockSize >= 1)
      ? undefined
      : Math.max(0, Math.floor((trainTokens - 1) / blockSize));
  if (maxBlocks > 0) return all === undefined ? maxBlocks : Math.min(all, maxBlocks);
  return all;
}

// Before the data is loaded the count is unknown; a count this large fails none of the checks
// that depend on it, so only the data-free ones speak (the rest run again when Train is pressed).
const UNKNOWN_COUNT = 2 ** 40;

/** Every problem with the LFR fields, in the messages of validateLfrSettings. */
export function validateLfrForm(
  schedule: RunSchedule,
  batchSize: number,
  blockCount: number | undefined,
): string[] {
  const errors: string[] = [];
  const m = schedule.maxBlocks;
  if (!(Number.isInteger(m) && m >= 0)) {
    errors.push(`blocks must be a whole number, 0 for all, not ${m}.`);
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) return errors;
  errors.push(...validateLfrSettings(schedule.lfr, blockCount ?? UNKNOWN_COUNT, batchSize));
  return errors;
}

/** Passes over the data the settings cost, before rounding to whole steps (4.0 by default). */
export function nominalPasses(s: LfrSettings): number {
  return s.p1 + s.p2 * (1 - s.s1 / 100) + s.p3 + s.reps * s.p4 * (1 - s.s2 / 100);
}

/** The run's exact length when the block count is known. */
export function plannedRun(
  schedule: RunSchedule,
  blockCount: number | undefined,
  batchSize: number,
  accumSteps: number,
): { steps: number; passes: number } | undefined {
  if (blockCount === undefined || blockCount < 1) return undefined;
  return plannedLfrSize(blockCount, schedule.lfr, batchSize, accumSteps);
}

/** One run of the comparison, as its results table row and chart series show it. */
export interface ComparisonRun {
  role: LfrRole;
  seed: number;
  /** Validation points with the tokens trained on by then. */
  val: (ValPoint & { tokens: number })[];
  tokens: number;
  steps: number;
  wallMs: number;
  state: 'running' | 'done' | 'stopped' | 'failed';
}

export interface Comparison {
  status: 'idle' | 'running' | 'done' | 'stopped' | 'failed';
  /** The seeds field as typed: each arm runs from seeds seed, seed + 1, ... */
  seeds: string;
  /** The arms each seed trains, in LFR_ARMS order (LFR always). */
  arms: readonly LfrArm[];
  /** In the order they ran. */
  runs: ComparisonRun[];
  error: string | undefined;
}

/** The arms `chosen` names, in run order, LFR first whatever was chosen. */
export const comparisonArms = (chosen: readonly LfrArm[]): LfrArm[] =>
  LFR_ARMS.filter((a) => a === 'lfr' || chosen.includes(a));

/** Most seeds a comparison runs: each one is a whole training run per arm. */
export const MAX_COMPARISON_SEEDS = 10;

/** The seeds field's count, or the message saying what is wrong with it. */
export function comparisonSeeds(
  text: string,
): { ok: true; seeds: number } | { ok: false; message: string } {
  const n = Number(text);
  if (text.trim() !== '' && Number.isInteger(n) && n >= 1 && n <= MAX_COMPARISON_SEEDS) {
    return { ok: true, seeds: n };
  }
  return {
    ok: false,
    message: `seeds must be a whole number in [1, ${MAX_COMPARISON_SEEDS}] (each seed trains every arm), not ${text.trim() || 'empty'}.`,
  };
}

/** One arm's final validation perplexity over its finished seeds. */
export interface ArmSummary {
  role: LfrRole;
  /** Finished runs with a validation point. */
  n: number;
  mean: number;
  min: number;
  max: number;
  /** Sample standard deviation (NaN for one run). */
  sd: number;
}

/** Mean and spread of each arm's final validation perplexity, over the runs that finished. */
export function armSummary(runs: readonly ComparisonRun[], role: LfrRole): ArmSummary {
  const finals = runs
    .filter((r) => r.role === role && r.state === 'done' && r.val.length > 0)
    .map((r) => r.val[r.val.length - 1].perplexity);
  const n = finals.length;
  const mean = finals.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(finals.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { role, n, mean, min: Math.min(...finals), max: Math.max(...finals), sd };
}

/** The clicked block: its text from the worker (or why not) and which run it belongs to. */
export interface BlockView {
  role: LfrRole;
  id: number;
  text: BlockText | undefined;
  error: string | undefined;
}

export interface LfrSlice {
  lfrForm: LfrForm;
  /** The scheduled run the views show (the latest one); undefined for a plain run. */
  lfrRole: LfrRole | undefined;
  /** Moves on whenever a mirror took new observations, so the views redraw. */
  lfrVersion: number;
  lfrBlock: BlockView | undefined;
  lfrExportError: string | undefined;
  comparison: Comparison;
}

export function initialLfr(): LfrSlice {
  return {
    lfrForm: defaultLfrForm(),
    lfrRole: undefined,
    lfrVersion: 0,
    lfrBlock: undefined,
    lfrExportError: undefined,
    comparison: { status: 'idle', seeds: '1', arms: LFR_ARMS, runs: [], error: undefined },
  };
}

// Mutable by design: the (slices x blocks) history grows in place, and lfrVersion says when.
const mirrors = new Map<LfrRole, ScheduleMirror>();

/** The page's copy of a scheduled run's record, once its plan has arrived. */
export function lfrMirror(role: LfrRole): ScheduleMirror | undefined {
  return mirrors.get(role);
}

/** Forgets a role's mirror (a new run of it starts). */
export function resetMirror(role: LfrRole): void {
  mirrors.delete(role);
}

/**
 * Replays one progress event's schedule news into the role's mirror (the first carries the
 * plan). Returns whether the mirror changed.
 */
export function applyToMirror(role: LfrRole, p: LfrProgress): boolean {
  if (p.plan) mirrors.set(role, new ScheduleMirror(p.plan));
  const mirror = mirrors.get(role);
  if (!mirror) return false;
  mirror.apply(p);
  return (
    p.plan !== undefined ||
    p.snapshot !== undefined ||
    p.observations.length > 0 ||
    p.cuts.length > 0
  );
}

/** The role a plan's run plays: a random schedule is the baseline, any other its own arm. */
export const roleOfPlan = (plan: LfrPlan): LfrRole => armOfKind(plan.kind);

/** What one progress event did to the LFR views: whether a mirror changed, and whose. */
export interface LfrNews {
  changed: boolean;
  /** The role the run's views are under (known once its plan arrived, for a resumed run). */
  role: LfrRole | undefined;
}

/**
 * Follows one run's schedule news into its mirror. A run started from the form knows its role;
 * a resumed one learns it from the plan of its first event (which carries the scores recorded
 * before the reload), so its views show the whole run.
 */
export function lfrFollower(role?: LfrRole): (p: LfrProgress | undefined) => LfrNews {
  let known = role;
  return (p) => {
    if (!p) return { changed: false, role: known };
    if (p.plan) known ??= roleOfPlan(p.plan);
    const changed = known !== undefined && applyToMirror(known, p);
    return { changed, role: known };
  };
}

/** Tokens of one optimizer step of a plan. */
export const tokensPerStep = (plan: LfrPlan) => plan.batchSize * plan.accumSteps * plan.blockSize;

export const selectLfrForm = (s: LfrSlice) => s.lfrForm;
export const selectLfrRole = (s: LfrSlice) => s.lfrRole;
export const selectLfrVersion = (s: LfrSlice) => s.lfrVersion;
export const selectLfrBlock = (s: LfrSlice) => s.lfrBlock;
export const selectComparison = (s: LfrSlice) => s.comparison;

/**
 * The problems of a scheduled run's settings: the training form's (with max steps replaced by the
 * schedule's length, which the run will use) and the LFR fields'.
 */
export function scheduledRunErrors(
  settings: TrainSettings,
  form: LfrForm,
  validate: (s: TrainSettings) => string[],
  trainTokens: number | undefined,
): string[] {
  const schedule = scheduleFromForm(form, 'lfr');
  const { batchSize, gradAccumSteps } = settings.train;
  const count = runBlockCount(schedule.maxBlocks, trainTokens, settings.model.blockSize);
  const lfrErrors = validateLfrForm(schedule, batchSize, count);
  const planned =
    lfrErrors.length === 0 && Number.isInteger(gradAccumSteps) && gradAccumSteps >= 1
      ? plannedRun(schedule, count, batchSize, gradAccumSteps)
      : undefined;
  const train = { ...settings.train, maxSteps: planned?.steps ?? 1 };
  return [...validate({ ...settings, train }), ...lfrErrors];
}
