import type { TrainConfig } from '../model/config';

/**
 * Learning rate at optimizer step `step` (0-based): linear warmup from lr/warmup to lr over
 * `warmupSteps`, then cosine decay to `minLearningRate` at `maxSteps` (nanoGPT's get_lr).
 */
export function learningRateAt(step: number, t: TrainConfig): number {
  if (step < t.warmupSteps) return (t.learningRate * (step + 1)) / t.warmupSteps;
  if (step >= t.maxSteps) return t.minLearningRate;
  const span = Math.max(1, t.maxSteps - t.warmupSteps);
  const ratio = (step - t.warmupSteps) / span;
  const coeff = 0.5 * (1 + Math.cos(Math.PI * ratio));
  return t.minLearningRate + coeff * (t.learningRate - t.minLearningRate);
}
