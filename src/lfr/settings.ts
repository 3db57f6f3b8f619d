// The LFR schedule's settings (Prakriya et al., "Learn, Focus, Review", first version) and the
// checks that refuse a run that could not be carried out, before anything starts.

/** Epoch counts are whole epochs; s1, s2 are the percent of blocks each Focus drops. */
export interface LfrSettings {
  /** Learn: epochs over every block, scoring each. */
  p1: number;
  /** Percent of blocks (the lowest Learn scores, i.e. the easiest) the first Focus drops. */
  s1: number;
  /** First Focus: epochs over the kept blocks. */
  p2: number;
  /** Review: epochs over every block again, scoring each afresh. */
  p3: number;
  /** Percent of blocks (the lowest Review scores) the second Focus drops. */
  s2: number;
  /** Second Focus: epochs per repetition over the kept blocks. */
  p4: number;
  /** Repetitions of the second Focus: it trains reps x p4 epochs. */
  reps: number;
}

/** The paper's defaults: 1 + 0.5 + 1 + 5 x 0.3 = 4.0 passes over the data. */
export const DEFAULT_LFR_SETTINGS: Readonly<LfrSettings> = {
  p1: 1,
  s1: 50,
  p2: 1,
  p3: 1,
  s2: 70,
  p4: 1,
  reps: 5,
};

/** A schedule a user can fix (settings, data size or an imported file); the message says how. */
export class LfrError extends Error {
  override name = 'LfrError';
}

/**
 * Blocks a Focus drops: s % of the count, rounded to the nearest block (halves up), so the cut
 * is a percentile of the ranking and never a score threshold.
 */
export function dropCount(blockCount: number, percent: number): number {
  return Math.round((blockCount * percent) / 100);
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/**
 * Every problem with the settings for `blockCount` blocks in batches of `batchSize`, as messages a
 * user can act on; empty when the schedule can run.
 */
export function validateLfrSettings(
  settings: LfrSettings,
  blockCount: number,
  batchSize: number,
): string[] {
  const errors: string[] = [];
  if (!isCount(batchSize) || batchSize < 1) {
    errors.push(`The batch size must be a whole number of at least 1, not ${batchSize}.`);
  }
  if (!isCount(blockCount)) {
    errors.push(`The block count must be a whole number, not ${blockCount}.`);
  } else if (isCount(batchSize) && blockCount < batchSize) {
    errors.push(
      `The data set gives ${blockCount} blocks, fewer than one batch of ${batchSize}: lower the batch size to at most ${blockCount}, lower block_size, or add text.`,
    );
  }
  const epochs: [keyof LfrSettings, string][] = [
    ['p1', 'Learn epochs'],
    ['p2', 'first Focus epochs'],
    ['p3', 'Review epochs'],
    ['p4', 'second Focus epochs per repetition'],
    ['reps', 'second Focus repetitions'],
  ];
  for (const [key, what] of epochs) {
    const v = settings[key];
    if (!isCount(v))
      errors.push(`${key} (${what}) must be a whole number of at least 0, not ${v}.`);
  }
  for (const key of ['p1', 'p3'] as const) {
    if (settings[key] === 0) {
      errors.push(
        `${key} must be at least 1: the Focus after it cuts by the scores its epochs record.`,
      );
    }
  }
  for (const key of ['s1', 's2'] as const) {
    const s = settings[key];
    if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s >= 100) {
      errors.push(
        `${key} is the percent of blocks a Focus drops and must be in [0, 100), not ${s}.`,
      );
      continue;
    }
    if (!isCount(blockCount) || !isCount(batchSize) || batchSize < 1 || blockCount < batchSize) {
      continue;
    }
    const drop = dropCount(blockCount, s);
    const kept = blockCount - drop;
    const maxPercent = Math.floor(((blockCount - batchSize) * 100) / blockCount);
    if (kept === 0) {
      errors.push(
        `${key} = ${s} would keep no block of ${blockCount} (it drops ${drop}): lower ${key} to at most ${maxPercent}.`,
      );
    } else if (kept < batchSize) {
      errors.push(
        `${key} = ${s} keeps ${kept} of ${blockCount} blocks, fewer than one batch of ${batchSize}: lower ${key} to at most ${maxPercent}, or the batch size to at most ${kept}.`,
      );
    }
  }
  return errors;
}
