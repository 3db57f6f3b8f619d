// The contract between the LoRA fine-tuning trainer and its optimizers (Adam, LoRA-RITE): the
// trainer owns the factors and their gradients; an optimizer owns its state and steps every pair.
import type { BufferSlice } from '../gpu/buffers';
import type { Command } from '../gpu/ops';

/** One adapter: Z = A B^T (m x n, out x in) is the low-rank update of a frozen weight W. */
export interface LoraPairBuffers {
  /** The adapted weight's name, e.g. "h.0.attn.c_attn" (used in error messages and exports). */
  name: string;
  m: number;
  n: number;
  r: number;
  a: BufferSlice; // (m, r)
  b: BufferSlice; // (n, r)
  da: BufferSlice; // (m, r)
  db: BufferSlice; // (n, r)
}

export type LoraOptimizerKind = 'adam' | 'rite';

export interface LoraOptimizerSettings {
  kind: LoraOptimizerKind;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** RITE only: carry the second moment's escaped mass across basis changes. */
  escapedMass: boolean;
  /** Global clip of the update (RITE step 3) or of the gradient (Adam); 0 = off. */
  clipNorm: number;
}

/** Where the first non-finite value of a step was found: which pair and which quantity. */
export interface NonFiniteReport {
  pair: string;
  quantity: string;
}

export interface LoraOptimizer {
  readonly kind: LoraOptimizerKind;
  /** The step's optimizer work, appended to the trainer's single submission. */
  commands(): readonly Command[];
  /** Uniforms for step t (0-based) at learning rate lr; call before encoding the step. */
  setStep(t: number, lr: number): void;
  destroy(): void;
}
