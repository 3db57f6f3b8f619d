import { loraLayout } from '../optim/loraOptimizer';
import { Rng } from '../util/rng';
import type { GPTConfig } from './config';
import { buildParamTable, tensor } from './params';

/** The linear layers an adapter can sit on, named as in the GPT-2 checkpoint. */
export const LORA_TARGETS = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraSettings {
  rank: number;
  /** The update is scaled by alpha / rank, so changing the rank keeps its size. */
  alpha: number;
  /** Adapted in every layer. */
  targets: readonly LoraTarget[];
}

/**
 * One adapter: Z = A B^T (m x n, out x in) added to the frozen weight `name`.weight, scaled by
 * alpha / r. A (m, r) and B (n, r) are row-major at their offsets (in floats) of the flat buffer.
 */
export interface LoraPairLayout {
  /** The adapted layer, e.g. "h.0.attn.c_attn". */
  name: string;
  layer: number;
  target: LoraTarget;
  m: number;
  n: number;
  r: number;
  aOffset: number;
  bOffset: number;
}

/**
 * Every adapter's A and B in one flat f32 buffer (and their gradients in another, same layout),
 * in layer order then LORA_TARGETS order, placed by the optimizers' loraLayout: each factor
 * starts at a multiple of 64 floats (256 bytes) so it binds as its own slice, as in params.ts.
 */
export interface LoraTable {
  pairs: readonly LoraPairLayout[];
  byName: ReadonlyMap<string, LoraPairLayout>;
  rank: number;
  alpha: number;
  /** alpha / rank */
  scale: number;
  /** Floats in the flat buffer, alignment padding included. */
  totalLength: number;
  /** Trainable adapter parameters (no padding). */
  count: number;
}

/** The adapters' layout for a model; settings are assumed valid (see validateLora). */
export function buildLoraTable(config: GPTConfig, settings: LoraSettings): LoraTable {
  const params = buildParamTable(config);
  const r = settings.rank;
  const placed: Omit<LoraPairLayout, 'aOffset' | 'bOffset'>[] = [];
  for (let layer = 0; layer < config.nLayer; layer++) {
    for (const target of LORA_TARGETS) {
      if (!settings.targets.includes(target)) continue;
      const name = `h.${layer}.${target}`;
      const [m, n] = tensor(params, `${name}.weight`).shape;
      placed.push({ name, layer, target, m, n, r });
    }
  }
  // The optimizers' layout, so their checks of where each factor sits hold by construction.
  const layout = loraLayout(placed);
  const pairs = placed.map((p, i) => ({ ...p, aOffset: layout.a[i], bOffset: layout.b[i] }));
  return {
    pairs,
    byName: new Map(pairs.map((p) => [p.name, p])),
    rank: r,
    alpha: settings.alpha,
    scale: settings.alpha / r,
    totalLength: layout.length,
    count: pairs.reduce((sum, p) => sum + (p.m + p.n) * r, 0),
  };
}

/**
 * Initial adapters: A = 0 and B uniform in +-1/sqrt(n) (PEFT's Kaiming init of its lora_A, which
 * is our B: the input-side factor). A = 0 makes Z = 0, so fine-tuning starts exactly at the base
 * model, and is the zero factor the spec and its "from A = 0" tests use; B must then be nonzero,
 * or both factors' gradients would vanish. Pairs are drawn in table order from one seeded stream.
 */
export function initLora(table: LoraTable, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(table.totalLength);
  for (const p of table.pairs) {
    const bound = 1 / Math.sqrt(p.n);
    out.set(rng.uniformArray(p.n * p.r, -bound, bound), p.bOffset);
  }
  return out;
}

/** Floats the merge scratch needs: the largest A. */
export function mergeScratchLength(table: LoraTable): number {
  return Math.max(1, ...table.pairs.map((p) => p.m * p.r));
}
