// The points a run's charts plot; a leaf, so the checkpoint format and the session share them.

/** One optimizer step as the charts plot it. */
export interface StepPoint {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
}

export interface ValPoint {
  step: number;
  loss: number;
  perplexity: number;
}
