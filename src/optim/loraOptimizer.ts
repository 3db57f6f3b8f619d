// The contract between the LoRA fine-tuning trainer and its optimizers (Adam, LoRA-RITE): the
// trainer owns the factors and their gradients; an optimizer owns its state and steps every pair.
import type { BufferSlice } from '../gpu/buffers';
import type { Command } from '../gpu/ops';

/** Largest rank: the optimizers keep every r x r matrix of a pair in one workgroup. */
export const MAX_LORA_RANK = 32;

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

export interface LoraShape {
  m: number;
  n: number;
  r: number;
}

/**
 * Where every A and B sits in the one flat buffer of all factors, in f32 elements; the gradients
 * use the same layout in their own flat buffer, and so does the optimizer state (llm.c style:
 * one size table). Each factor starts on 64 floats (256 bytes), so it can be bound on its own.
 */
export interface LoraLayout {
  a: number[];
  b: number[];
  length: number;
}

const ALIGN = 64;

export function loraLayout(shapes: readonly LoraShape[]): LoraLayout {
  const layout: LoraLayout = { a: [], b: [], length: 0 };
  const take = (size: number) => {
    const at = layout.length;
    layout.length += Math.ceil(size / ALIGN) * ALIGN;
    return at;
  };
  for (const { m, n, r } of shapes) {
    layout.a.push(take(m * r));
    layout.b.push(take(n * r));
  }
  return layout;
}

/**
 * The pairs as slices of `params` (every A and B) and `grads` (every dA and dB), both of exactly
 * `loraLayout(shapes).length` floats and nothing else: the trainer clears `grads` each step.
 */
export function loraPairBuffers(
  names: readonly string[],
  shapes: readonly LoraShape[],
  params: GPUBuffer,
  grads: GPUBuffer,
): LoraPairBuffers[] {
  const layout = loraLayout(shapes);
  const slice = (buffer: GPUBuffer, offset: number, length: number): BufferSlice => ({
    buffer,
    offset: offset * 4,
    size: length * 4,
  });
  return shapes.map(({ m, n, r }, i) => ({
    name: names[i],
    m,
    n,
    r,
    a: slice(params, layout.a[i], m * r),
    b: slice(params, layout.b[i], n * r),
    da: slice(grads, layout.a[i], m * r),
    db: slice(grads, layout.b[i], n * r),
  }));
}

/**
 * The quantities a step checks, in the order it computes them, as written (one u32 per side of
 * each pair: A side at 2 i, B side at 2 i + 1) into LoraOptimizer.status; 0 = all finite.
 */
const QUANTITIES = [
  (x: string) => `gradient d${x}`,
  (x: string) => `unmagnified gradient g_${x}`,
  (x: string) => `second moment V_${x}`,
  (x: string) => `escaped mass rho_${x}`,
  (x: string) => `first moment M_${x}`,
  (x: string) => `factor ${x}`,
];

/**
 * The first non-finite quantity of a step from its status words, or null when all are finite.
 * Earliest quantity first, then lowest pair: a NaN in one pair's gradient reaches every pair
 * through the global norm, but only its own pair reports the gradient itself.
 */
export function decodeNonFinite(
  status: Uint32Array,
  names: readonly string[],
): NonFiniteReport | null {
  let best = -1;
  for (let i = 0; i < status.length; i++) {
    if (status[i] !== 0 && (best < 0 || status[i] < status[best])) best = i;
  }
  if (best < 0) return null;
  const quantity = QUANTITIES[status[best] - 1];
  const side = best % 2 === 0 ? 'A' : 'B';
  return {
    pair: names[best >> 1] ?? `pair ${best >> 1}`,
    quantity: quantity ? quantity(side) : `unknown quantity ${status[best]}`,
  };
}

/** r x r slots per pair: one (r, r) matrix and one scalar per side. */
export function smallSlot(r: number): number {
  return 2 * (r * r + 1);
}

/**
 * Floats of each buffer of LoraOptimizer.state for these pairs: Adam's two moments over the flat
 * layout; RITE's one buffer of M and the stored bases (each the layout's length) then V and rho
 * (every pair's r x r slots).
 */
export function loraStateLengths(kind: LoraOptimizerKind, shapes: readonly LoraShape[]): number[] {
  const L = loraLayout(shapes).length;
  if (kind === 'adam') return [L, L];
  return [2 * L + shapes.reduce((sum, { r }) => sum + smallSlot(r), 0)];
}

export interface LoraOptimizer {
  readonly kind: LoraOptimizerKind;
  /** The step's optimizer work, appended to the trainer's single submission. */
  commands(): readonly Command[];
  /** Uniforms for step t (0-based) at learning rate lr; call before encoding the step. */
  setStep(t: number, lr: number): void;
  /**
   * 2 u32 per pair, rewritten by every step: the first non-finite quantity of each side (see
   * decodeNonFinite). The trainer copies it into its readback (COPY_SRC).
   */
  readonly status: GPUBuffer;
  /**
   * Every buffer whose contents carry from one step to the next, in the order of
   * loraStateLengths: a checkpoint saves exactly these and a resume writes them back.
   */
  readonly state: readonly GPUBuffer[];
  destroy(): void;
}
