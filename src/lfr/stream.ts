// What a run's schedule tells the page, as plain data: the plan once (with a snapshot of the
// scores so far when the schedule was restored from a checkpoint), then each step's block scores,
// in step order, and each Focus cut as it is made. The page replays them into its own
// BlockScores, so the (slices x blocks) history crosses the worker boundary at most once.

import type { ScheduleRecord } from './forgetting';
import type { CutDecision, ObservedStep, PhaseSpan, Schedule, ScheduleKind } from './schedule';
import { BlockScores, type BlockScoresState } from './scores';

/** The schedule's shape, sent with the first event of a run. */
export interface LfrPlan {
  kind: ScheduleKind;
  blockCount: number;
  blockSize: number;
  batchSize: number;
  accumSteps: number;
  /** History slices of the scores store (the mirror must use the same). */
  slices: number;
  phases: PhaseSpan[];
  totalSteps: number;
  tokensPlanned: number;
}

/** One step's blocks and their per-sequence losses, with the phase they were trained in. */
export interface LfrObservation {
  step: number;
  phase: number;
  blockIds: Uint32Array;
  losses: Float32Array;
}

/** Everything a restored schedule had recorded before its first event: steps [0, steps). */
export interface LfrSnapshot {
  steps: number;
  scores: BlockScoresState;
}

export interface LfrProgress {
  plan?: LfrPlan;
  /** With the plan, when the schedule holds steps recorded before this stream began. */
  snapshot?: LfrSnapshot;
  /** In step order, each step once, continuing from the snapshot (or step 0). */
  observations: LfrObservation[];
  cuts: CutDecision[];
  /** Tokens of the batches handed out so far. */
  tokensUsed: number;
}

export function planOf(schedule: Schedule): LfrPlan {
  return {
    kind: schedule.kind,
    blockCount: schedule.blocks.count,
    blockSize: schedule.blocks.blockSize,
    batchSize: schedule.batchSize,
    accumSteps: schedule.accumSteps,
    slices: schedule.scores.slices,
    phases: schedule.phases(),
    totalSteps: schedule.totalSteps(),
    tokensPlanned: schedule.tokensPlanned(),
  };
}

/** Items keyed by step, handed out in step order with no gap: late arrivals wait for the rest. */
export class StepOrder<T> {
  private readonly early = new Map<number, T>();
  /** The next step to hand out. */
  next = 0;

  add(step: number, item: T): void {
    if (step >= this.next) this.early.set(step, item);
  }

  /** Skips to `step`, dropping what came before it. */
  skipTo(step: number): void {
    for (const k of this.early.keys()) if (k < step) this.early.delete(k);
    this.next = Math.max(this.next, step);
  }

  has(step: number): boolean {
    return this.early.has(step);
  }

  /** The items of steps next, next + 1, ... below `end`, as long as none is missing. */
  take(end = Number.POSITIVE_INFINITY): T[] {
    const out: T[] = [];
    for (let item = this.early.get(this.next); item && this.next < end; ) {
      this.early.delete(this.next);
      out.push(item);
      this.next++;
      item = this.early.get(this.next);
    }
    return out;
  }
}

/** The worker's side: collects what happened since the last event. */
export class ScheduleOutbox {
  private planSent = false;
  private readonly cutSent: boolean[];
  private readonly pending = new StepOrder<LfrObservation>();

  constructor(readonly schedule: Schedule) {
    this.cutSent = schedule.phases().map(() => false);
  }

  /** Call after the schedule observed `r` (results may come in any order). */
  observed(r: ObservedStep): void {
    const step = r.step - this.schedule.firstStep;
    this.pending.add(step, {
      step,
      phase: this.schedule.phaseAt(step),
      blockIds: r.blockIds,
      losses: r.sequenceLosses,
    });
  }

  take(): LfrProgress {
    let snapshot: LfrSnapshot | undefined;
    const recorded = this.schedule.stepsObserved();
    // A schedule restored from a checkpoint holds steps this outbox never saw: send them whole.
    if (!this.planSent && recorded > 0 && !this.pending.has(0)) {
      snapshot = { steps: recorded, scores: this.schedule.scores.saveState() };
      this.pending.skipTo(recorded);
    }
    const cuts: CutDecision[] = [];
    this.cutSent.forEach((sent, phase) => {
      const cut = this.schedule.cut(phase);
      if (!sent && cut) {
        cuts.push(cut);
        this.cutSent[phase] = true;
      }
    });
    const out: LfrProgress = {
      // Only steps the schedule has recorded: those wait for no earlier result.
      observations: this.pending.take(recorded),
      cuts,
      tokensUsed: this.schedule.tokensUsed(),
    };
    if (!this.planSent) out.plan = planOf(this.schedule);
    if (snapshot) out.snapshot = snapshot;
    this.planSent = true;
    return out;
  }
}

/**
 * The page's side: a copy of the schedule's record fed the same observations, so it holds the
 * same scores and cuts (and serves droppedForgottenAtReview like the schedule itself).
 */
export class ScheduleMirror implements ScheduleRecord {
  readonly scores: BlockScores;
  private readonly cuts: (CutDecision | null)[];
  private readonly order = new StepOrder<LfrObservation>();
  tokensUsed = 0;
  /** Steps observed so far: all of [0, steps). */
  steps = 0;

  constructor(readonly plan: LfrPlan) {
    this.scores = new BlockScores(plan.blockCount, { slices: plan.slices });
    this.cuts = plan.phases.map(() => null);
  }

  apply(p: LfrProgress): void {
    if (p.snapshot) {
      this.scores.restoreState(p.snapshot.scores);
      this.steps = p.snapshot.steps;
      this.order.skipTo(this.steps);
    }
    // In step order whatever order they came in, so a slice keeps its last visit.
    for (const o of p.observations) this.order.add(o.step, o);
    for (const o of this.order.take()) {
      this.scores.record(o.step, o.phase, o.blockIds, o.losses);
      this.steps = o.step + 1;
    }
    for (const c of p.cuts) this.cuts[c.phase] = c;
    this.tokensUsed = p.tokensUsed;
  }

  phases(): PhaseSpan[] {
    return this.plan.phases;
  }

  cut(phase: number): CutDecision | null {
    return this.cuts[phase] ?? null;
  }

  /** Every cut made so far, in phase order. */
  decisions(): CutDecision[] {
    return this.cuts.filter((c): c is CutDecision => c !== null);
  }

  /** The phase of the latest observed step. */
  currentPhase(): number {
    const step = Math.max(0, this.steps - 1);
    const i = this.plan.phases.findIndex((p) => step < p.endStep);
    return i < 0 ? this.plan.phases.length - 1 : i;
  }
}
