import { Rng } from '../util/rng';
import type { GPTConfig } from './config';
import type { ParamTable } from './params';

/**
 * GPT-2 initialisation into a flat buffer: matrices and embeddings N(0, 0.02), residual
 * projections N(0, 0.02 / sqrt(2 n_layer)) so the residual stream's variance does not grow with
 * depth, biases 0, LayerNorm gains 1. Tensors are drawn in table order from one seeded stream.
 */
export function initParams(config: GPTConfig, table: ParamTable, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(table.totalLength);
  const residualStd = 0.02 / Math.sqrt(2 * config.nLayer);
  for (const t of table.tensors) {
    const view = out.subarray(t.offset, t.offset + t.length);
    if (t.name.endsWith('.bias')) continue;
    if (t.name.includes('ln_')) {
      view.fill(1);
      continue;
    }
    const std = t.residualProjection ? residualStd : 0.02;
    for (let i = 0; i < view.length; i++) view[i] = rng.normal() * std;
  }
  return out;
}
