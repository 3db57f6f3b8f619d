// Forgetting classes of the LFR paper, from a block's recorded scores s_1..s_k (perplexities):
// learned (fell and never rose after), unlearned (never fell), forgotten (fell then rose once),
// multiple descent (fell then rose twice or more). A move counts only past a relative tolerance.
import type { Schedule } from './schedule';
import type { BlockScores } from './scores';

export const DEFAULT_TOLERANCE = 0.05;

export const FORGETTING_CLASSES = [
  'unvisited',
  'unlearned',
  'learned',
  'forgotten',
  'multipleDescent',
] as const;
export type ForgettingClass = (typeof FORGETTING_CLASSES)[number];
export type ClassCounts = Record<ForgettingClass, number>;

/**
 * A zig-zag tracker: `anchor` is the extreme of the current run (the minimum while falling, the
 * maximum while rising, the first score before any move), and a move needs to pass the anchor by
 * the tolerance, so noise around a level is no move. An initial rise is not forgetting: only a
 * rise after a fall is.
 */
interface Trend {
  count: number;
  anchor: number;
  /** -1 falling, 0 no move yet, +1 rising. */
  dir: number;
  fell: boolean;
  /** Rises that followed a fall. */
  forgets: number;
}

const newTrend = (): Trend => ({ count: 0, anchor: 0, dir: 0, fell: false, forgets: 0 });

function push(t: Trend, s: number, tol: number): void {
  if (Number.isNaN(s)) return;
  t.count++;
  if (t.count === 1) {
    t.anchor = s;
    return;
  }
  if (s < t.anchor * (1 - tol) && t.dir !== -1) {
    t.dir = -1;
    t.fell = true;
    t.anchor = s;
  } else if (s > t.anchor * (1 + tol) && t.dir !== 1) {
    if (t.dir === -1) t.forgets++;
    t.dir = 1;
    t.anchor = s;
  } else if ((t.dir === -1 && s < t.anchor) || (t.dir === 1 && s > t.anchor)) {
    t.anchor = s;
  }
}

function classOf(t: Trend): ForgettingClass {
  if (t.count === 0) return 'unvisited';
  if (t.forgets >= 2) return 'multipleDescent';
  if (t.forgets === 1) return 'forgotten';
  return t.fell ? 'learned' : 'unlearned';
}

/** The class of one score sequence (NaN entries are skipped), and how often it was forgotten. */
export function classify(
  scores: ArrayLike<number>,
  tol = DEFAULT_TOLERANCE,
): { cls: ForgettingClass; forgets: number } {
  const t = newTrend();
  for (let i = 0; i < scores.length; i++) push(t, scores[i], tol);
  return { cls: classOf(t), forgets: t.forgets };
}

const zeroCounts = (): ClassCounts => ({
  unvisited: 0,
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
  const trends = Array.from({ length: n }, newTrend);
  const out: ClassCounts[] = [];
  for (let k = 0; k < slices; k++) {
    const counts = zeroCounts();
    for (let id = 0; id < n; id++) {
      push(trends[id], data[k * n + id], tol);
      counts[classOf(trends[id])]++;
    }
    out.push(counts);
  }
  return out;
}

/** Every block's class by its whole history so far. */
export function classesNow(store: BlockScores, tol = DEFAULT_TOLERANCE): ForgettingClass[] {
  const { data, slices, blockCount: n } = store.grid();
  const out: ForgettingClass[] = [];
  for (let id = 0; id < n; id++) {
    const t = newTrend();
    for (let k = 0; k < slices; k++) push(t, data[k * n + id], tol);
    out.push(classOf(t));
  }
  return out;
}

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
  schedule: Schedule,
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
