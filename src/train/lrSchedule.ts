import type { TrainConfig } from '../model/config';

/** The schedule's part of a run's settings. */
export type LrSchedule = Pick<
  TrainConfig,
  'learningRate' | 'minLearningRate' | 'warmupSteps' | 'maxSteps'
>;

/**
 * Learning rate at optimizer step `step` (0-based): linear warmup from lr/warmup to lr over
 * `warmupSteps`, then cosine decay to `minLearningRate` at `maxSteps` (nanoGPT's get_lr).
 */
export function learningRateAt(step: number, t: LrSchedule): number {
  if (step < t.warmupSteps) return (t.learningRate * (step + 1)) / t.warmupSteps;
  if (step >= t.maxSteps) return t.minLearningRate;
  const span = Math.max(1, t.maxSteps - t.warmupSteps);
  const ratio = (step - t.warmupSteps) / span;
  const coeff = 0.5 * (1 + Math.cos(Math.PI * ratio));
  return t.minLearningRate + coeff * (t.learningRate - t.minLearningRate);
}

/** After warmup: cosine decay to a tenth of the rate (nanoGPT's min_lr), or the rate held. */
export type LrDecay = 'cosine' | 'constant';

/**
 * A fine-tune's schedule for a peak `rate`: the same warmup and decay shape for every optimizer,
 * each at its own rate; `constant` is the cosine with its floor at the rate.
 */
export function fineTuneSchedule(
  rate: number,
  warmupSteps: number,
  decay: LrDecay,
  steps: number,
): LrSchedule {
  const minLearningRate = decay === 'constant' ? rate : rate / 10;
  return { learningRate: rate, minLearningRate, warmupSteps, maxSteps: steps };
}
