// The LoRA optimizers' cost per step, for the benchmark: Adam and LoRA-RITE over the same pairs,
// each step submitted on its own as the trainer does, timed without timestamp queries (submit N
// steps, wait for the queue, divide).

import { createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { submitOps } from '../gpu/ops';
import type { GPTConfig } from '../model/config';
import { createLoraOptimizer } from '../optim/createLoraOptimizer';
import {
  type LoraOptimizerKind,
  type LoraShape,
  loraLayout,
  loraPairBuffers,
} from '../optim/loraOptimizer';
import { Rng } from '../util/rng';

/** The adapted weights of every layer, (out, in): attn qkv, attn proj, mlp fc, mlp proj. */
export function loraLayerShapes(config: GPTConfig): { name: string; m: number; n: number }[] {
  const c = config.nEmbd;
  return Array.from({ length: config.nLayer }, (_, l) => [
    { name: `h.${l}.attn.c_attn`, m: 3 * c, n: c },
    { name: `h.${l}.attn.c_proj`, m: c, n: c },
    { name: `h.${l}.mlp.c_fc`, m: 4 * c, n: c },
    { name: `h.${l}.mlp.c_proj`, m: c, n: 4 * c },
  ]).flat();
}

export type LoraOptimizerTimes = Record<LoraOptimizerKind, number>;

/** Milliseconds per optimizer step of Adam and RITE on pairs of these (m, n) at rank r. */
export async function timeLoraOptimizers(
  ctx: GpuContext,
  layers: readonly { name: string; m: number; n: number }[],
  r: number,
  steps = 5,
): Promise<LoraOptimizerTimes> {
  const shapes: LoraShape[] = layers.map(({ m, n }) => ({ m, n, r }));
  const length = loraLayout(shapes).length;
  const rng = new Rng(1);
  const times: Partial<LoraOptimizerTimes> = {};
  for (const kind of ['adam', 'rite'] as const) {
    const params = createStorage(ctx, 'bench.lora.params', rng.normalArray(length, 0.02));
    const grads = createStorage(ctx, 'bench.lora.grads', rng.normalArray(length, 1e-3));
    const pairs = loraPairBuffers(
      layers.map((l) => l.name),
      shapes,
      params,
      grads,
    );
    const optimizer = await createLoraOptimizer(ctx, pairs, {
      kind,
      lr: 1e-4,
      beta1: 0.9,
      beta2: 0.999,
      eps: kind === 'adam' ? 1e-8 : 1e-6,
      weightDecay: 0,
      escapedMass: true,
      clipNorm: 1,
    });
    // warm-up: pipelines compiled, first touch of every buffer
    optimizer.setStep(0, 1e-4);
    submitOps(ctx, optimizer.commands(), `lora_${kind}`);
    await ctx.device.queue.onSubmittedWorkDone();
    const t0 = performance.now();
    for (let t = 1; t <= steps; t++) {
      optimizer.setStep(t, 1e-4);
      submitOps(ctx, optimizer.commands(), `lora_${kind}`);
    }
    await ctx.device.queue.onSubmittedWorkDone();
    times[kind] = (performance.now() - t0) / steps;
    optimizer.destroy();
    params.destroy();
    grads.destroy();
  }
  return times as LoraOptimizerTimes;
}
