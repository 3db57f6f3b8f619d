// The LoRA optimizers' cost per step, for the benchmark: Adam and LoRA-RITE over the same pairs,
// each step submitted on its own as the trainer does, timed without timestamp queries (submit N
// steps, wait for the queue, divide).

import { createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { type Command, submitOps } from '../gpu/ops';
import type { GPTConfig } from '../model/config';
import { createLoraOptimizer } from '../optim/createLoraOptimizer';
import {
  type LoraOptimizer,
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

type Layers = readonly { name: string; m: number; n: number }[];

// An optimizer of this kind over random factors and gradients of these layers at rank r, given to
// `use`, then destroyed with its buffers.
async function withOptimizer<T>(
  ctx: GpuContext,
  layers: Layers,
  r: number,
  kind: LoraOptimizerKind,
  use: (optimizer: LoraOptimizer) => Promise<T>,
): Promise<T> {
  const shapes: LoraShape[] = layers.map(({ m, n }) => ({ m, n, r }));
  const length = loraLayout(shapes).length;
  const rng = new Rng(1);
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
  try {
    return await use(optimizer);
  } finally {
    optimizer.destroy();
    params.destroy();
    grads.destroy();
  }
}

// ms per submission of `commands`, each step submitted on its own after one warm-up step
// (pipelines compiled, first touch of every buffer)
async function msPerStep(
  ctx: GpuContext,
  optimizer: LoraOptimizer,
  commands: readonly Command[],
  steps: number,
): Promise<number> {
  optimizer.setStep(0, 1e-4);
  submitOps(ctx, commands, `lora_${optimizer.kind}`);
  await ctx.device.queue.onSubmittedWorkDone();
  const t0 = performance.now();
  for (let t = 1; t <= steps; t++) {
    optimizer.setStep(t, 1e-4);
    submitOps(ctx, commands, `lora_${optimizer.kind}`);
  }
  await ctx.device.queue.onSubmittedWorkDone();
  return (performance.now() - t0) / steps;
}

/** Milliseconds per optimizer step of Adam and RITE on pairs of these (m, n) at rank r. */
export async function timeLoraOptimizers(
  ctx: GpuContext,
  layers: Layers,
  r: number,
  steps = 5,
): Promise<LoraOptimizerTimes> {
  const times: Partial<LoraOptimizerTimes> = {};
  for (const kind of ['adam', 'rite'] as const) {
    times[kind] = await withOptimizer(ctx, layers, r, kind, (optimizer) =>
      msPerStep(ctx, optimizer, optimizer.commands(), steps),
    );
  }
  return times as LoraOptimizerTimes;
}

/**
 * Milliseconds per step of each of an optimizer's dispatches submitted alone (by label, in
 * order), to see which one dominates; later dispatches see the state the earlier ones left.
 */
export async function timeLoraDispatches(
  ctx: GpuContext,
  layers: Layers,
  r: number,
  kind: LoraOptimizerKind,
  steps = 5,
): Promise<Record<string, number>> {
  return withOptimizer(ctx, layers, r, kind, async (optimizer) => {
    const times: Record<string, number> = {};
    for (const command of optimizer.commands()) {
      const label = 'label' in command ? command.label : 'clear' in command ? 'clear' : 'copy';
      times[label] = await msPerStep(ctx, optimizer, [command], steps);
    }
    return times;
  });
}
