// The arms of "Compare with random": LFR and its controls, each a schedule over the same blocks
// with the same token budget, so their validation perplexities compare at equal cost.
import type { Blocks } from '../data/blocks';
import { Schedule, type ScheduleKind, type ScheduleOptions } from './schedule';
import type { LfrSettings } from './settings';

/**
 * lfr: Learn, Focus, Review, Focus again. baseline: random batches for LFR's tokens.
 * randomDrop: LFR's phases, each cut a seeded random s %. noReview: Review's budget spent on the
 * first Focus's blocks, the second cut by each block's latest score.
 */
export type LfrArm = 'lfr' | 'baseline' | 'randomDrop' | 'noReview';

export const LFR_ARMS: readonly LfrArm[] = ['lfr', 'baseline', 'randomDrop', 'noReview'];

/** How the page names each arm. */
export const ARM_LABELS: Record<LfrArm, string> = {
  lfr: 'LFR',
  baseline: 'random baseline',
  randomDrop: 'random drop',
  noReview: 'LFR without Review',
};

/** The schedule kind an arm trains by. */
export const kindOfArm = (arm: LfrArm): ScheduleKind => (arm === 'baseline' ? 'random' : arm);

/** The arm a schedule of `kind` plays. */
export const armOfKind = (kind: ScheduleKind): LfrArm => (kind === 'random' ? 'baseline' : kind);

/** The schedule of `arm` over `blocks`: every arm plans exactly the LFR settings' steps. */
export function scheduleForArm(
  arm: LfrArm,
  blocks: Blocks,
  settings: LfrSettings,
  options: ScheduleOptions,
): Schedule {
  if (arm === 'baseline') return Schedule.baseline(Schedule.lfr(blocks, settings, options));
  return Schedule.lfr(blocks, settings, options, arm);
}
