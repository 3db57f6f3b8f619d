// Which score ranks the blocks "now": one of a single age, so a block dropped phases ago is not
// ranked by a stale score against blocks trained a step ago.
import type { ScheduleRecord } from './forgetting';

/** Scores that rank the blocks in the current phase, with the step each comes from. */
export interface Ranking {
  /** The phase ranked in. */
  phase: number;
  /**
   * 'cut': the scores of the phase that decided this Focus (every block has one); 'phase': each
   * block's latest score from a visit in this phase (a block not visited in it yet has none).
   */
  basis: 'cut' | 'phase';
  /** For 'cut', the deciding phase. */
  decidedBy: number | null;
  /** (blockCount) the score by id; NaN where the block has none in this basis, or scored NaN. */
  scores: Float64Array;
  /**
   * (blockCount) the step of the visit the score comes from (for 'cut', the block's last visit
   * in the deciding phase), -1 where there is none: the score's age.
   */
  steps: Int32Array;
}

/** How the blocks rank in `phase`: by the scores that decided it, else by this phase's own. */
export function rankingAt(record: ScheduleRecord, phase: number): Ranking {
  const cut = record.cut(phase);
  const { scores } = record;
  if (cut) {
    return {
      phase,
      basis: 'cut',
      decidedBy: cut.decidedBy,
      scores: cut.scores,
      steps: scores.phaseLastSteps(cut.decidedBy),
    };
  }
  const start = record.phases()[phase].startStep;
  const n = scores.blockCount;
  const out = new Float64Array(n).fill(Number.NaN);
  const steps = new Int32Array(n).fill(-1);
  for (let id = 0; id < n; id++) {
    const step = scores.lastStep(id);
    if (step < start) continue;
    out[id] = scores.lastScore(id);
    steps[id] = step;
  }
  return { phase, basis: 'phase', decidedBy: null, scores: out, steps };
}

/**
 * The ranked blocks, hardest first: a NaN score from a visit first (as a cut ranks it), then by
 * score, ties by id; blocks with no score in the basis are left out.
 */
export function rankedIds(r: Ranking): number[] {
  const ids: number[] = [];
  for (let id = 0; id < r.steps.length; id++) if (ranked(r, id)) ids.push(id);
  const key = (id: number) =>
    Number.isNaN(r.scores[id]) ? Number.POSITIVE_INFINITY : r.scores[id];
  return ids.sort((a, b) => key(b) - key(a) || a - b);
}

/** The heatmap's sort key per block: the score, +Infinity for a NaN one, NaN for none. */
export function sortKeys(r: Ranking): Float32Array {
  return Float32Array.from(r.scores, (s, id) =>
    !ranked(r, id) ? Number.NaN : Number.isNaN(s) ? Number.POSITIVE_INFINITY : s,
  );
}

// A score, or a visit that scored NaN (a save from before visit steps were kept has scores only).
const ranked = (r: Ranking, id: number) => r.steps[id] >= 0 || !Number.isNaN(r.scores[id]);
