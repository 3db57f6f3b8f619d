// Forgetting classes of the LFR paper, from a block's recorded scores s_1..s_k (perplexities):
// learned (fell and never rose after), unlearned (rose and never fell), forgotten (fell then rose
// once), multiple descent (fell then rose twice or more); a block that neither fell nor rose is
// unchanged. A move counts only past a relative tolerance.
import type { Schedule } from './schedule';
import { type BlockScores, NAN_VISIT } from './scores';

export const DEFAULT_TOLERANCE = 0.05;

export const FORGETTING_CLASSES = [
  'unvisited',
  'unchanged',
  'unlearned',
  'learned',
  'forgotten',
  'multipleDescent',
] as const;
export type ForgettingClass = (typeof FORGETTING_CLASSES)[number];
export type ClassCounts = Record<ForgettingClass, number>;

/**
 * Zig-zag trackers of n score sequences, in typed arrays so 100k blocks stay cheap. `anchor` is
 * the extreme of the current run (the minimum while falling, the maximum while rising, the
 * first score before any move), and a move must pass the anchor by the tolerance, so noise
 * around a level is no move. An initial rise is not forgetting: only a rise after a fall is.
 */
class Trends {
  private readonly count: Uint32Array;
  private readonly anchor: Float64Array;
  /** -1 falling, 0 no move yet, +1 rising. */
  private readonly dir: Int8Array;
  private readonly fell: Uint8Array;
  private readonly rose: Uint8Array;
  /** Rises that followed a fall. */
  readonly forgets: Uint32Array;

  constructor(
    n: number,
    private readonly tol: number,
  ) {
    this.count = new Uint32Array(n);
    this.anchor = new Float64Array(n);
    this.dir = new Int8Array(n);
    this.fell = new Uint8Array(n);
    this.rose = new Uint8Array(n);
    this.forgets = new Uint32Array(n);
  }

  push(i: number, s: number): void {
    // Unvisited (NaN) and NaN-scored (NAN_VISIT) cells say nothing about a trend.
    if (!(s > NAN_VISIT)) return;
    const a = this.anchor[i];
    const dir = this.dir[i];
    if (this.count[i]++ === 0) {
      this.anchor[i] = s;
    } else if (s < a * (1 - this.tol) && dir !== -1) {
      this.dir[i] = -1;
      this.fell[i] = 1;
      this.anchor[i] = s;
    } else if (s > a * (1 + this.tol) && dir !== 1) {
      if (dir === -1) this.forgets[i]++;
      this.dir[i] = 1;
      this.rose[i] = 1;
      this.anchor[i] = s;
    } else if ((dir === -1 && s < a) || (dir === 1 && s > a)) {
      this.anchor[i] = s;
    }
  }

  classOf(i: number): ForgettingClass {
    if (this.count[i] === 0) return 'unvisited';
    if (this.forgets[i] >= 2) return 'multipleDescent';
    if (this.forgets[i] === 1) return 'forgotten';
    if (this.fell[i]) return 'learned';
    return this.rose[i] ? 'unlearned' : 'unchanged';
  }
}

/** The class of one score sequence (NaN entries are skipped), and how often it was forgotten. */
export function classify(
  scores: ArrayLike<number>,
  tol = DEFAULT_TOLERANCE,
): { cls: ForgettingClass; forgets: number } {
  const t = new Trends(1, tol);
  for (let i = 0; i < scores.length; i++) t.push(0, scores[i]);
  return { cls: t.classOf(0), forgets: t.forgets[0] };
}

const zeroCounts = (): ClassCounts => ({
  unvisited: 0,
  unchanged: 0,
  unlearned: 0,
  learned: 0,
  forgotten: 0,
  multipleDescent: 0,
});

/**
 * Class counts after each history slice: entry k classifies every block by its scores in slices
 * 0..k. One pass over the (slices, blocks) history.
 */
export function classCountsOverTime(store: BlockScores, tol = DEFAULT_TOLERANCE): ClassCounts[] {
  const { data, slices, blockCount: n } = store.grid();
  return classCountsOverRows(data, slices, n, tol);
}

/**
 * Class counts after each row of a (rows, n) score matrix (NaN: no score in that row): entry k
 * classifies every block by its scores in rows 0..k.
 */
export function classCountsOverRows(
  data: Float32Array,
  rows: number,
  n: number,
  tol = DEFAULT_TOLERANCE,
): ClassCounts[] {
  const trends = new Trends(n, tol);
  const out: ClassCounts[] = [];
  for (let k = 0; k < rows; k++) {
    const counts = zeroCounts();
    for (let id = 0; id < n; id++) {
      trends.push(id, data[k * n + id]);
      counts[trends.classOf(id)]++;
    }
    out.push(counts);
  }
  return out;
}

/** Every block's class by its whole history so far. */
export function classesNow(store: BlockScores, tol = DEFAULT_TOLERANCE): ForgettingClass[] {
  const { data, slices, blockCount: n } = store.grid();
  const trends = new Trends(n, tol);
  for (let k = 0; k < slices; k++) for (let id = 0; id < n; id++) trends.push(id, data[k * n + id]);
  return Array.from({ length: n }, (_, id) => trends.classOf(id));
}

/** What droppedForgottenAtReview reads: a Schedule, or a copy of one fed the same results. */
export type ScheduleRecord = Pick<Schedule, 'phases' | 'cut' | 'scores'>;

/** Blocks the first Focus dropped, and those whose Review score rose past their Learn score. */
export interface DroppedAtReview {
  dropped: number;
  /** Dropped blocks with a Review score so far. */
  reviewed: number;
  /** Reviewed dropped blocks whose Review score > Learn score x (1 + tol), ascending ids. */
  forgotten: Uint32Array;
}

/**
 * The blocks Review exists to catch: dropped as easy by the first Focus, then worse at Review
 * than at Learn. Counts grow as Review visits them; null before the first cut.
 */
export function droppedForgottenAtReview(
  schedule: ScheduleRecord,
  tol = DEFAULT_TOLERANCE,
): DroppedAtReview | null {
  const phases = schedule.phases();
  const focus = phases.findIndex((p) => p.name === 'focus');
  const review = phases.findIndex((p) => p.name === 'review');
  const cut = focus < 0 ? null : schedule.cut(focus);
  if (cut === null || review < 0) return null;
  const learn = cut.scores;
  const after = schedule.scores.phaseMeans(review);
  const forgotten: number[] = [];
  let reviewed = 0;
  for (const id of cut.dropped) {
    if (Number.isNaN(after[id])) continue;
    reviewed++;
    if (after[id] > learn[id] * (1 + tol)) forgotten.push(id);
  }
  return {
    dropped: cut.dropped.length,
    reviewed,
    forgotten: Uint32Array.from(forgotten).sort(),
  };
}
