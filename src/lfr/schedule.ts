// Which blocks each step trains on: the random baseline, or LFR's Learn, Focus, Review, Focus.
// A Schedule is the trainer's BatchSource; it learns the blocks' scores from the step results
// the caller hands back (observe) and makes each Focus cut from them.
import { type Blocks, fillBatch } from '../data/blocks';
import type { StepResult } from '../train/trainer';
import { BlockScores, type BlockScoresState, type ScoreStoreOptions } from './scores';
import { dropCount, LfrError, type LfrSettings, validateLfrSettings } from './settings';
import { fisherYates } from './shuffle';
import { VisitLog } from './visitLog';

/**
 * 'lfr' cuts the easiest; the two controls keep LFR's phases and budget: 'randomDrop' drops a
 * seeded random s % at each cut (no scores used), 'noReview' spends Review's budget on the first
 * Focus's blocks and makes the second cut by each block's latest score.
 */
export type ScheduleKind = 'random' | 'lfr' | 'randomDrop' | 'noReview';
export const SCHEDULE_KINDS: readonly ScheduleKind[] = ['random', 'lfr', 'randomDrop', 'noReview'];
export type PhaseName = 'random' | 'learn' | 'focus' | 'review' | 'focusAgain';

/** How the views name each phase. */
export const PHASE_LABELS: Record<PhaseName, string> = {
  random: 'random',
  learn: 'Learn',
  focus: 'Focus',
  review: 'Review',
  focusAgain: 'Focus again',
};

export interface ScheduleOptions {
  /** Sequences per micro-batch (B): one next() call. */
  batchSize: number;
  /** Micro-batches per optimizer step (gradient accumulation); default 1. */
  accumSteps?: number;
  seed: number;
  /** The trainer's step number of this schedule's first step; default 0. */
  firstStep?: number;
  history?: ScoreStoreOptions;
}

/** One phase of the plan, in schedule steps (optimizer steps counted from firstStep). */
export interface PhaseSpan {
  index: number;
  name: PhaseName;
  /** Passes over the phase's kept blocks (fractional only for a random budget). */
  epochs: number;
  keptCount: number;
  /** Steps [startStep, endStep). */
  startStep: number;
  endStep: number;
  /** Tokens the phase trains on (targets, padding included). */
  tokens: number;
  /** For a Focus: the phase whose scores decide its cut, and the percent it drops. */
  decidedBy: number | null;
  dropPercent: number;
}

/** A Focus cut: every block's score in the deciding phase, and what it kept. */
export interface CutDecision {
  phase: number;
  decidedBy: number;
  dropPercent: number;
  /**
   * (blockCount) each block's mean score in the latest phase up to the deciding one that visited
   * it, by id: the deciding phase's own for LFR (it visits every block), older ones for blocks
   * the no-Review arm had dropped.
   */
  scores: Float64Array;
  /** Dropped ids from the lowest score up (ties: the lower id first); a random drop's ascending. */
  dropped: Uint32Array;
  /** Kept ids, ascending. */
  kept: Uint32Array;
  /** The highest dropped score (the percentile line); NaN when nothing was dropped. */
  cutValue: number;
}

/**
 * Where a schedule is, as plain JSON for a checkpoint: with the same blocks and options, a
 * schedule restored from it hands out the same batches and makes the same cuts.
 */
export interface ScheduleState {
  kind: ScheduleKind;
  blockCount: number;
  batchSize: number;
  accumSteps: number;
  seed: number;
  firstStep: number;
  totalSteps: number;
  /** Micro-batches handed out; every step of them observed. */
  handed: number;
  scores: BlockScoresState;
}

/** What observe() reads from a StepResult. */
export type ObservedStep = Pick<StepResult, 'step' | 'blockIds' | 'sequenceLosses'>;

interface PhasePlan {
  name: PhaseName;
  /** Block visits the phase must give at least (epochs x kept); steps round it up. */
  visits: number;
  keptCount: number;
  decidedBy: number | null;
  dropPercent: number;
}

// Orders depend on (seed, phase, epoch) alone, so any batch can be rebuilt from its position.
function epochSeed(seed: number, phase: number, epoch: number): number {
  return (seed ^ Math.imul(phase + 1, 0x85ebca6b) ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0;
}

// A random drop's generator: a stream apart from every epoch's (whose epoch term is never 0).
function cutSeed(seed: number, phase: number): number {
  return (seed ^ Math.imul(phase + 1, 0x85ebca6b)) >>> 0;
}

// NaN (a diverged sequence) ranks as the hardest, so a cut never drops a block for it.
function byScoreThenId(scores: Float64Array) {
  return (a: number, b: number): number => {
    const sa = Number.isNaN(scores[a]) ? Number.POSITIVE_INFINITY : scores[a];
    const sb = Number.isNaN(scores[b]) ? Number.POSITIVE_INFINITY : scores[b];
    return sa < sb ? -1 : sa > sb ? 1 : a - b;
  };
}

/** The ids a Focus keeps when it drops `percent` % of blocks by `scores` (lowest first). */
export function focusCut(
  scores: Float64Array,
  percent: number,
): Pick<CutDecision, 'dropped' | 'kept' | 'cutValue'> {
  const n = scores.length;
  const ranked = Uint32Array.from({ length: n }, (_, i) => i).sort(byScoreThenId(scores));
  const drop = dropCount(n, percent);
  const dropped = ranked.slice(0, drop);
  const kept = ranked.slice(drop).sort();
  return { dropped, kept, cutValue: drop > 0 ? scores[dropped[drop - 1]] : Number.NaN };
}

/**
 * The control arm's cut: `percent` % of the `n` ids dropped at random, the first dropCount of a
 * Fisher-Yates shuffle of 0..n-1 seeded by (seed, phase); no score is read. cutValue is NaN.
 */
export function randomCut(
  n: number,
  percent: number,
  seed: number,
  phase: number,
): Pick<CutDecision, 'dropped' | 'kept' | 'cutValue'> {
  const order = fisherYates(
    Uint32Array.from({ length: n }, (_, i) => i),
    cutSeed(seed, phase),
  );
  const drop = dropCount(n, percent);
  return {
    dropped: order.slice(0, drop).sort(),
    kept: order.slice(drop).sort(),
    cutValue: Number.NaN,
  };
}

// Learn, Focus, Review, Focus again over `n` blocks: what each phase visits and keeps. Without
// Review, its visits go to the first Focus's blocks (a second Focus phase decided by the same
// Learn scores, so it keeps the same blocks): every arm has the same phases and steps.
function lfrPlans(n: number, settings: LfrSettings, kind: ScheduleKind = 'lfr'): PhasePlan[] {
  const kept1 = n - dropCount(n, settings.s1);
  const kept2 = n - dropCount(n, settings.s2);
  const { p1, p2, p3, p4, reps } = settings;
  return [
    { name: 'learn', visits: p1 * n, keptCount: n, decidedBy: null, dropPercent: 0 },
    { name: 'focus', visits: p2 * kept1, keptCount: kept1, decidedBy: 0, dropPercent: settings.s1 },
    kind === 'noReview'
      ? { name: 'focus', visits: p3 * n, keptCount: kept1, decidedBy: 0, dropPercent: settings.s1 }
      : { name: 'review', visits: p3 * n, keptCount: n, decidedBy: null, dropPercent: 0 },
    {
      name: 'focusAgain',
      visits: reps * p4 * kept2,
      keptCount: kept2,
      decidedBy: 2,
      dropPercent: settings.s2,
    },
  ];
}

/** The length of an LFR run before any data is at hand: what the settings form shows. */
export interface LfrPlanSize {
  steps: number;
  /** Tokens trained on, as passes over the data (the random baseline's epochs at equal cost). */
  passes: number;
}

/** Steps and passes of LFR over `blockCount` blocks, exactly as Schedule.lfr plans them. */
export function plannedLfrSize(
  blockCount: number,
  settings: LfrSettings,
  batchSize: number,
  accumSteps = 1,
): LfrPlanSize {
  const perStep = batchSize * accumSteps;
  const steps = lfrPlans(blockCount, settings).reduce(
    (sum, p) => sum + Math.ceil(p.visits / perStep),
    0,
  );
  return { steps, passes: (steps * perStep) / blockCount };
}

/**
 * A deterministic plan of whole steps. Each phase runs whole epochs over its kept blocks, each
 * epoch in a fresh shuffle of (seed, phase, epoch); the phase lasts ceil(epochs x kept / (B x A))
 * steps, so a step (and so a batch) never mixes phases. The last step's padding continues into
 * the shuffle of the phase's next epoch: padding blocks come from the phase's own kept set and
 * are counted as tokens like any other.
 *
 * The cut is exact: a Focus phase's ids are decided from the scores of *every* batch of the phase
 * before it, so the trainer's late results must be observed first. next() refuses to start a Focus
 * whose cut is pending; the caller checks needsObservation() before queuing a step and, if set,
 * drains the trainer and observes the results. The cut is made inside observe() when the
 * deciding phase's last step arrives (results may arrive in any order; they are applied in step
 * order).
 */
export class Schedule {
  readonly scores: BlockScores;
  /** Every observed visit, raw, for the replay file. */
  readonly visits = new VisitLog();
  readonly batchSize: number;
  readonly accumSteps: number;
  readonly seed: number;
  readonly firstStep: number;
  private readonly plans: PhasePlan[];
  private readonly starts: number[];
  private readonly cuts: (CutDecision | null)[];
  private readonly all: Uint32Array;
  private readonly order: Uint32Array;
  private orderOf = { phase: -1, epoch: -1 };
  /** Micro-batches handed out. */
  private handed = 0;
  /** Steps observed, all of [0, observed). */
  private observed = 0;
  private readonly early = new Map<number, ObservedStep>();

  private constructor(
    readonly kind: ScheduleKind,
    readonly blocks: Blocks,
    readonly settings: LfrSettings | null,
    plans: PhasePlan[],
    options: ScheduleOptions,
  ) {
    this.batchSize = options.batchSize;
    this.accumSteps = options.accumSteps ?? 1;
    this.seed = options.seed >>> 0;
    this.firstStep = options.firstStep ?? 0;
    this.plans = plans;
    this.scores = new BlockScores(blocks.count, options.history);
    this.all = Uint32Array.from({ length: blocks.count }, (_, i) => i);
    this.order = new Uint32Array(blocks.count);
    this.cuts = plans.map(() => null);
    this.starts = [];
    let step = 0;
    for (const p of plans) {
      this.starts.push(step);
      step += this.stepsOf(p, this.batchSize);
    }
    this.starts.push(step);
  }

  /**
   * LFR with `settings` over `blocks` (or one of its control arms, same phases and steps);
   * throws an LfrError listing every problem.
   */
  static lfr(
    blocks: Blocks,
    settings: LfrSettings,
    options: ScheduleOptions,
    kind: Exclude<ScheduleKind, 'random'> = 'lfr',
  ): Schedule {
    checkOptions(options);
    const errors = validateLfrSettings(settings, blocks.count, options.batchSize);
    if (errors.length > 0) throw new LfrError(errors.join('\n'));
    const plans = lfrPlans(blocks.count, settings, kind);
    return new Schedule(kind, blocks, { ...settings }, plans, options);
  }

  /** The baseline: shuffled epochs over every block for `epochs` passes (may be fractional). */
  static random(blocks: Blocks, epochs: number, options: ScheduleOptions): Schedule {
    checkOptions(options);
    if (!(Number.isFinite(epochs) && epochs > 0)) {
      throw new LfrError(`The random baseline's epochs must be a number above 0, not ${epochs}.`);
    }
    if (blocks.count < options.batchSize) {
      throw new LfrError(
        `The data set gives ${blocks.count} blocks, fewer than one batch of ${options.batchSize}: lower the batch size to at most ${blocks.count}, lower block_size, or add text.`,
      );
    }
    const visits = Math.ceil(epochs * blocks.count);
    return Schedule.randomVisits(blocks, visits, options);
  }

  /** The random baseline on the same blocks for exactly the tokens `schedule` plans. */
  static baseline(schedule: Schedule, seed = schedule.seed): Schedule {
    const visits = schedule.totalSteps() * schedule.accumSteps * schedule.batchSize;
    return Schedule.randomVisits(schedule.blocks, visits, {
      batchSize: schedule.batchSize,
      accumSteps: schedule.accumSteps,
      seed,
      firstStep: schedule.firstStep,
      history: { slices: schedule.scores.slices },
    });
  }

  private static randomVisits(blocks: Blocks, visits: number, options: ScheduleOptions): Schedule {
    const plan: PhasePlan = {
      name: 'random',
      visits,
      keptCount: blocks.count,
      decidedBy: null,
      dropPercent: 0,
    };
    return new Schedule('random', blocks, null, [plan], options);
  }

  private stepsOf(p: PhasePlan, batchSize: number): number {
    return Math.ceil(p.visits / (batchSize * this.accumSteps));
  }

  /** Optimizer steps of the whole plan at `batchSize` sequences per micro-batch. */
  totalSteps(batchSize = this.batchSize): number {
    if (batchSize === this.batchSize) return this.starts[this.plans.length];
    return this.plans.reduce((s, p) => s + this.stepsOf(p, batchSize), 0);
  }

  phases(): PhaseSpan[] {
    const tokensPerStep = this.tokensPerStep();
    return this.plans.map((p, index) => ({
      index,
      name: p.name,
      epochs: p.visits / p.keptCount,
      keptCount: p.keptCount,
      startStep: this.starts[index],
      endStep: this.starts[index + 1],
      tokens: (this.starts[index + 1] - this.starts[index]) * tokensPerStep,
      decidedBy: p.decidedBy,
      dropPercent: p.dropPercent,
    }));
  }

  /** The phase of schedule step `step` (the last phase once the plan is done). */
  phaseAt(step: number): number {
    for (let i = 0; i < this.plans.length; i++) if (step < this.starts[i + 1]) return i;
    return this.plans.length - 1;
  }

  /** The phase the next step trains in. */
  currentPhase(): PhaseSpan {
    return this.phases()[this.phaseAt(this.stepsHanded())];
  }

  /** Ids a phase trains on, ascending; null while its cut waits for observations. */
  keptIds(phase: number): Uint32Array | null {
    if (this.plans[phase].decidedBy === null) return this.all;
    return this.cuts[phase]?.kept ?? null;
  }

  cut(phase: number): CutDecision | null {
    return this.cuts[phase];
  }

  /** Steps whose batches have been handed out in full. */
  stepsHanded(): number {
    return Math.floor(this.handed / this.accumSteps);
  }

  stepsObserved(): number {
    return this.observed;
  }

  done(): boolean {
    return this.handed >= this.totalSteps() * this.accumSteps;
  }

  /** True when the next batch starts a Focus whose cut still waits for observed results. */
  needsObservation(): boolean {
    return !this.done() && this.keptIds(this.phaseAt(this.stepsHanded())) === null;
  }

  ready(): boolean {
    return !this.needsObservation();
  }

  private tokensPerStep(): number {
    return this.accumSteps * this.batchSize * this.blocks.blockSize;
  }

  tokensPlanned(): number {
    return this.totalSteps() * this.tokensPerStep();
  }

  /** Tokens of the batches handed out so far. */
  tokensUsed(): number {
    return this.handed * this.batchSize * this.blocks.blockSize;
  }

  /** A phase's tokens: planned, and handed out so far. */
  phaseTokens(phase: number): { planned: number; used: number } {
    const perBatch = this.batchSize * this.blocks.blockSize;
    const first = this.starts[phase] * this.accumSteps;
    const last = this.starts[phase + 1] * this.accumSteps;
    const handed = Math.min(Math.max(this.handed - first, 0), last - first);
    return { planned: (last - first) * perBatch, used: handed * perBatch };
  }

  /** The planned tokens as passes over the data: the random baseline's epochs at equal cost. */
  baselineEpochs(): number {
    return this.tokensPlanned() / (this.blocks.count * this.blocks.blockSize);
  }

  // ids (B), inputs, targets (B,T): the next micro-batch, written into the caller's arrays
  next(ids: Uint32Array, inputs: Uint32Array, targets: Uint32Array): void {
    const B = this.batchSize;
    if (ids.length !== B) throw new Error(`Schedule.next: ids must hold B = ${B} ids`);
    if (this.done()) {
      throw new LfrError(
        `The ${this.kind} schedule's ${this.totalSteps()} steps are all given: set max_steps to ${this.totalSteps()}.`,
      );
    }
    if (!this.microBatchIds(this.handed, ids)) {
      const name = this.plans[this.phaseAt(this.stepsHanded())].name;
      throw new Error(
        `Schedule.next: the ${name} phase's cut needs every result of the phase before it; observe them first (needsObservation())`,
      );
    }
    this.handed++;
    fillBatch(inputs, targets, this.blocks, ids);
  }

  /**
   * ids (B): the blocks of micro-batch `micro` (counted from the schedule's start), as next()
   * hands them out; false (ids untouched) while its phase's cut waits for observations.
   */
  microBatchIds(micro: number, ids: Uint32Array): boolean {
    const B = this.batchSize;
    const phase = this.phaseAt(Math.floor(micro / this.accumSteps));
    const kept = this.keptIds(phase);
    if (kept === null) return false;
    const position = (micro - this.starts[phase] * this.accumSteps) * B;
    for (let b = 0; b < B; b++) {
      const p = position + b;
      ids[b] = this.epochOrder(phase, Math.floor(p / kept.length), kept)[p % kept.length];
    }
    return true;
  }

  // Fisher-Yates over the kept ids, cached for the epoch being handed out.
  private epochOrder(phase: number, epoch: number, kept: Uint32Array): Uint32Array {
    const order = this.order.subarray(0, kept.length);
    if (this.orderOf.phase === phase && this.orderOf.epoch === epoch) return order;
    order.set(kept);
    fisherYates(order, epochSeed(this.seed, phase, epoch));
    this.orderOf = { phase, epoch };
    return order;
  }

  /** Records a step's scores (steps may arrive in any order; they apply in step order). */
  observe(result: ObservedStep): void {
    const step = result.step - this.firstStep;
    const n = this.accumSteps * this.batchSize;
    if (!Number.isInteger(step) || step < this.observed || step >= this.stepsHanded()) {
      throw new Error(
        `Schedule.observe: step ${result.step} was not handed out or was already observed`,
      );
    }
    if (result.blockIds.length !== n || result.sequenceLosses.length !== n) {
      throw new Error(`Schedule.observe: a step holds A*B = ${n} block ids and losses`);
    }
    this.early.set(step, result);
    for (let r = this.early.get(this.observed); r; r = this.early.get(this.observed)) {
      this.early.delete(this.observed);
      const phase = this.phaseAt(this.observed);
      this.scores.record(this.observed, phase, r.blockIds, r.sequenceLosses);
      this.visits.record(this.observed + this.firstStep, r.blockIds, r.sequenceLosses);
      this.observed++;
      this.decideCuts();
    }
  }

  /**
   * The schedule's position and scores. Take it between steps with every handed-out step
   * observed (the session drains the trainer first): results in flight would be lost.
   */
  saveState(): ScheduleState {
    if (this.handed % this.accumSteps !== 0 || this.observed !== this.stepsHanded()) {
      throw new Error(
        `Schedule.saveState: ${this.stepsHanded()} steps handed out but ${this.observed} observed; observe every result first`,
      );
    }
    return { ...this.identity(), handed: this.handed, scores: this.scores.saveState() };
  }

  // What a saved state must agree on to continue in this schedule.
  private identity() {
    return {
      kind: this.kind,
      blockCount: this.blocks.count,
      batchSize: this.batchSize,
      accumSteps: this.accumSteps,
      seed: this.seed,
      firstStep: this.firstStep,
      totalSteps: this.totalSteps(),
    };
  }

  /** Continues from `state` (saved by a schedule built the same way); throws, changing nothing, on a mismatch. */
  restoreState(state: ScheduleState): void {
    const mine = this.identity();
    const keys = [
      'kind',
      'blockCount',
      'batchSize',
      'accumSteps',
      'seed',
      'firstStep',
      'totalSteps',
    ] as const;
    const diffs = keys
      .filter((k) => state[k] !== mine[k])
      .map((k) => `${k} ${state[k]} (this schedule: ${mine[k]})`);
    if (diffs.length > 0) {
      throw new LfrError(
        `The saved schedule does not match this run's: ${diffs.join(', ')}. Resume it with the settings and data it was saved with.`,
      );
    }
    const steps = state.handed / this.accumSteps;
    if (!(Number.isInteger(steps) && steps >= 0 && steps <= this.totalSteps())) {
      throw new LfrError(
        `The saved schedule handed out ${state.handed} micro-batches, not a whole number of steps within its ${this.totalSteps()}.`,
      );
    }
    this.scores.restoreState(state.scores);
    this.handed = state.handed;
    this.observed = steps;
    this.early.clear();
    this.cuts.fill(null);
    this.decideCuts();
  }

  private decideCuts(): void {
    this.plans.forEach((p, phase) => {
      if (p.decidedBy === null || this.cuts[phase] !== null) return;
      if (this.observed < this.starts[p.decidedBy + 1]) return;
      const scores = this.latestMeans(p.decidedBy);
      const cut =
        this.kind === 'randomDrop'
          ? randomCut(this.blocks.count, p.dropPercent, this.seed, phase)
          : focusCut(scores, p.dropPercent);
      this.cuts[phase] = {
        phase,
        decidedBy: p.decidedBy,
        dropPercent: p.dropPercent,
        scores,
        ...cut,
      };
    });
  }

  // Each block's mean in the latest phase up to `last` that visited it (NaN if none did).
  private latestMeans(last: number): Float64Array {
    const out = this.scores.phaseMeans(last);
    const seen = this.scores.phaseVisits(last);
    for (let phase = last - 1; phase >= 0; phase--) {
      const means = this.scores.phaseMeans(phase);
      const visits = this.scores.phaseVisits(phase);
      for (let id = 0; id < out.length; id++) {
        if (seen[id] === 0 && visits[id] > 0) {
          out[id] = means[id];
          seen[id] = visits[id];
        }
      }
    }
    return out;
  }
}

function checkOptions(o: ScheduleOptions): void {
  const errors: string[] = [];
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) {
    errors.push(`The batch size must be a whole number of at least 1, not ${o.batchSize}.`);
  }
  const a = o.accumSteps ?? 1;
  if (!Number.isInteger(a) || a < 1) {
    errors.push(`Gradient accumulation steps must be a whole number of at least 1, not ${a}.`);
  }
  if (!Number.isInteger(o.seed)) errors.push(`The seed must be a whole number, not ${o.seed}.`);
  const f = o.firstStep ?? 0;
  if (!Number.isInteger(f) || f < 0) {
    errors.push(`The first step must be a whole number of at least 0, not ${f}.`);
  }
  if (errors.length > 0) throw new LfrError(errors.join('\n'));
}
