// What a run's schedule tells the page, as plain data: the plan once, then each step's block
// scores and each Focus cut as it is made. The page replays them into its own BlockScores, so
// the (slices x blocks) history never crosses the worker boundary.

import type { ScheduleRecord } from './forgetting';
import type { CutDecision, ObservedStep, PhaseSpan, Schedule, ScheduleKind } from './schedule';
import { BlockScores } from './scores';

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

export interface LfrProgress {
  plan?: LfrPlan;
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

/** The worker's side: collects what happened since the last event. */
export class ScheduleOutbox {
  private planSent = false;
  private readonly cutSent: boolean[];
  private observations: LfrObservation[] = [];

  constructor(readonly schedule: Schedule) {
    this.cutSent = schedule.phases().map(() => false);
  }

  /** Call after the schedule observed `r`. */
  observed(r: ObservedStep): void {
    const step = r.step - this.schedule.firstStep;
    this.observations.push({
      step,
      phase: this.schedule.phaseAt(step),
      blockIds: r.blockIds,
      losses: r.sequenceLosses,
    });
  }

  take(): LfrProgress {
    const cuts: CutDecision[] = [];
    this.cutSent.forEach((sent, phase) => {
      const cut = this.schedule.cut(phase);
      if (!sent && cut) {
        cuts.push(cut);
        this.cutSent[phase] = true;
      }
    });
    const out: LfrProgress = {
      observations: this.observations,
      cuts,
      tokensUsed: this.schedule.tokensUsed(),
    };
    if (!this.planSent) out.plan = planOf(this.schedule);
    this.planSent = true;
    this.observations = [];
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
  tokensUsed = 0;
  /** Steps observed so far. */
  steps = 0;

  constructor(readonly plan: LfrPlan) {
    this.scores = new BlockScores(plan.blockCount, { slices: plan.slices });
    this.cuts = plan.phases.map(() => null);
  }

  apply(p: LfrProgress): void {
    for (const o of p.observations) {
      this.scores.record(o.step, o.phase, o.blockIds, o.losses);
      this.steps = Math.max(this.steps, o.step + 1);
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
