// The one entry point the fine-tuning trainer calls: checks the pairs and settings, then builds
// Adam or LoRA-RITE over the flat buffers of loraPairBuffers.

import type { GpuContext } from '../gpu/device';
import { createLoraAdam } from './loraAdam';
import {
  type LoraOptimizer,
  type LoraOptimizerSettings,
  type LoraPairBuffers,
  MAX_LORA_RANK,
} from './loraOptimizer';
import { createLoraRite } from './loraRite';

/** The first thing wrong with the pairs or settings, said so the user can fix it; null if none. */
export function loraOptimizerProblem(
  pairs: readonly LoraPairBuffers[],
  settings: LoraOptimizerSettings,
): string | null {
  for (const { name, m, n, r } of pairs) {
    if (!Number.isInteger(r) || r < 1 || r > MAX_LORA_RANK) {
      return `${name}: rank ${r} must be an integer from 1 to ${MAX_LORA_RANK}`;
    }
    if (r > Math.min(m, n)) {
      return `${name}: rank ${r} is above the layer's size (${m} x ${n}); pick at most ${Math.min(m, n)}`;
    }
  }
  const { lr, beta1, beta2, eps, weightDecay, clipNorm } = settings;
  if (!(lr > 0)) return `learning rate ${lr} must be above 0`;
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
    return `beta1 ${beta1} and beta2 ${beta2} must be in [0, 1)`;
  }
  if (!(eps > 0)) return `eps ${eps} must be above 0`;
  if (!(weightDecay >= 0)) return `weight decay ${weightDecay} must be 0 or more`;
  if (!(clipNorm >= 0)) return `gradient clip ${clipNorm} must be 0 (off) or more`;
  return null;
}

export async function createLoraOptimizer(
  ctx: GpuContext,
  pairs: readonly LoraPairBuffers[],
  settings: LoraOptimizerSettings,
): Promise<LoraOptimizer> {
  const problem = loraOptimizerProblem(pairs, settings);
  if (problem) throw new Error(`LoRA optimizer: ${problem}`);
  return settings.kind === 'adam'
    ? createLoraAdam(ctx, pairs, settings)
    : createLoraRite(ctx, pairs, settings);
}
