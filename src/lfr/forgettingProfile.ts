// The LFR paper's motivating experiment: train with random sampling for N epochs, score every block
// in every epoch (from the training pass, as LFR scores), and count how many blocks were learned,
// unlearned, forgotten at least once, and forgotten twice or more.
import type { Blocks } from '../data/blocks';
import {
  type ClassCounts,
  classCountsOverRows,
  DEFAULT_TOLERANCE,
  FORGETTING_CLASSES,
  type ForgettingClass,
} from './forgetting';
import { Schedule } from './schedule';

/** Epochs of the profile unless the user asks otherwise (the paper's 8). */
export const DEFAULT_PROFILE_EPOCHS = 8;
/** Most epochs a profile takes: its score matrix is 4 bytes per block per epoch. */
export const MAX_PROFILE_EPOCHS = 64;

/** What is wrong with a profile's epochs, or undefined. */
export function profileEpochsProblem(epochs: number): string | undefined {
  if (Number.isInteger(epochs) && epochs >= 2 && epochs <= MAX_PROFILE_EPOCHS) return undefined;
  return `The forgetting profile needs a whole number of epochs in [2, ${MAX_PROFILE_EPOCHS}] (forgetting is a fall then a rise across epochs), not ${epochs}.`;
}

/** The random schedule of a profile: shuffled epochs over every block, one score per block each. */
export function profileSchedule(
  blocks: Blocks,
  epochs: number,
  options: { batchSize: number; accumSteps: number; seed: number },
): Schedule {
  const problem = profileEpochsProblem(epochs);
  if (problem) throw new Error(problem);
  return Schedule.random(blocks, epochs, { ...options, history: { slices: 2 } });
}

/**
 * Each block's score in each epoch of a random schedule: (epochs, n), NaN until scored. A step's
 * i-th sequence is visit step x A x B + i of the schedule, and visit v is in epoch floor(v / n)
 * (each epoch is one shuffle of every block; the last step's padding runs past the last epoch
 * and is left out).
 */
export class EpochScores {
  readonly data: Float32Array;

  constructor(
    readonly blockCount: number,
    readonly epochs: number,
    /** Sequences per optimizer step (A x B). */
    readonly perStep: number,
  ) {
    this.data = new Float32Array(epochs * blockCount).fill(Number.NaN);
  }

  observe(
    r: { step: number; blockIds: ArrayLike<number>; sequenceLosses: ArrayLike<number> },
    firstStep = 0,
  ): void {
    const n = this.blockCount;
    const base = (r.step - firstStep) * this.perStep;
    for (let i = 0; i < r.blockIds.length; i++) {
      const epoch = Math.floor((base + i) / n);
      if (epoch < this.epochs) this.data[epoch * n + r.blockIds[i]] = Math.exp(r.sequenceLosses[i]);
    }
  }

  /** Epochs whose every block has been scored. */
  epochsDone(): number {
    const n = this.blockCount;
    let e = 0;
    while (e < this.epochs && !this.data.subarray(e * n, (e + 1) * n).some(Number.isNaN)) e++;
    return e;
  }
}

/** The shares of blocks in each class, as the paper reports them. */
export interface ProfileShares {
  /** Blocks classified (scored in every epoch so far). */
  blocks: number;
  learned: number;
  unlearned: number;
  unchanged: number;
  /** Forgotten at least once (includes forgottenTwice). */
  forgotten: number;
  /** Forgotten two or more times (multiple descent). */
  forgottenTwice: number;
}

export interface ForgettingProfile {
  epochs: number;
  epochsDone: number;
  tolerance: number;
  /** After all the epochs done. */
  final: ProfileShares;
  /** After each epoch e (by epochs 0..e); the first has no move yet. */
  perEpoch: ProfileShares[];
}

function sharesOf(c: ClassCounts): ProfileShares {
  const blocks =
    FORGETTING_CLASSES.reduce((sum, k: ForgettingClass) => sum + c[k], 0) - c.unvisited;
  const share = (x: number) => (blocks > 0 ? x / blocks : 0);
  return {
    blocks,
    learned: share(c.learned),
    unlearned: share(c.unlearned),
    unchanged: share(c.unchanged),
    forgotten: share(c.forgotten + c.multipleDescent),
    forgottenTwice: share(c.multipleDescent),
  };
}

/** The profile of the epochs scored in full so far. */
export function profileOf(scores: EpochScores, tol = DEFAULT_TOLERANCE): ForgettingProfile {
  const done = scores.epochsDone();
  const counts = classCountsOverRows(scores.data, done, scores.blockCount, tol);
  const perEpoch = counts.map(sharesOf);
  return {
    epochs: scores.epochs,
    epochsDone: done,
    tolerance: tol,
    final: perEpoch.at(-1) ?? sharesOf(zero()),
    perEpoch,
  };
}

function zero(): ClassCounts {
  return Object.fromEntries(FORGETTING_CLASSES.map((k) => [k, 0])) as ClassCounts;
}
