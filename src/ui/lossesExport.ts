import type { History } from '../store/trainingSlice';

/** A run's curves by column: each array lines up index by index with its `step` array. */
export interface LossesExport {
  step: number[];
  loss: number[];
  lr: number[];
  gradNorm: number[];
  val: { step: number[]; loss: number[]; perplexity: number[] };
}

export function lossesExport(history: History): LossesExport {
  const { steps, val } = history;
  return {
    step: steps.map((p) => p.step),
    loss: steps.map((p) => p.loss),
    lr: steps.map((p) => p.lr),
    gradNorm: steps.map((p) => p.gradNorm),
    val: {
      step: val.map((p) => p.step),
      loss: val.map((p) => p.loss),
      perplexity: val.map((p) => p.perplexity),
    },
  };
}

/**
 * The file "Download losses (JSON)" saves: one value per line, so two runs' files diff line by
 * line; numbers as JSON writes them, which reads back to the same double (f32 losses exactly).
 */
export function lossesJson(history: History): string {
  return `${JSON.stringify(lossesExport(history), null, 1)}\n`;
}
