// Adam on every entry of every LoRA factor: the usual LoRA baseline. The kernels are the model's
// AdamW (one dispatch over the flat buffer of all factors, every entry decayed by the settings'
// weight decay) and gradnorm for the optional global clip; a status kernel reports non-finite
// values. Gaps between factors stay zero: zero gradient, zero moments, zero step.

import { createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import type { KernelOp } from '../gpu/ops';
import { adamw } from '../kernels/adamw';
import { gradNorm, gradNormPartialsLength } from '../kernels/gradnorm';
import { loraAdamStatus } from '../kernels/loraAdamStatus';
import type { LoraOptimizer, LoraOptimizerSettings, LoraPairBuffers } from './loraOptimizer';
import { createLoraTable } from './loraTable';

// params, grads (loraLayout of pairs) -> Adam on every factor entry, state made here
export async function createLoraAdam(
  ctx: GpuContext,
  pairs: readonly LoraPairBuffers[],
  settings: LoraOptimizerSettings,
): Promise<LoraOptimizer> {
  const table = createLoraTable(ctx, pairs);
  const n = table.layout.length;
  const params = pairs[0].a.buffer;
  const grads = pairs[0].da.buffer;
  const m = createStorage(ctx, 'lora.adam.m', n);
  const v = createStorage(ctx, 'lora.adam.v', n);
  const everyEntry = createStorage(
    ctx,
    'lora.adam.decayMask',
    new Uint32Array(Math.ceil(n / 32)).fill(0xffffffff),
  );
  // [norm, clip scale]: gradnorm writes it when clipping, else the scale stays 1
  const norm = createStorage(ctx, 'lora.adam.norm', new Float32Array([0, 1]));
  const partials = createStorage(ctx, 'lora.adam.normPartials', gradNormPartialsLength(n));
  const status = createStorage(ctx, 'lora.status', 2 * pairs.length);
  const hp = (t: number, lr: number) => ({ ...settings, lr, step: t + 1 });
  const clip =
    settings.clipNorm > 0 ? [await gradNorm(ctx, norm, partials, grads, n, settings.clipNorm)] : [];
  const step = await adamw(ctx, params, m, v, grads, norm, everyEntry, n, hp(0, settings.lr));
  const report: KernelOp = await loraAdamStatus(ctx, {
    constants: { WG: 64 },
    params: { u32: [pairs.length] },
    buffers: [table.buffer, params, grads, m, v, status],
    workgroups: [2 * pairs.length],
  });
  const commands = [...clip, step, report];
  return {
    kind: 'adam',
    status,
    // The clip scale in `norm` is rewritten by every step (clipNorm > 0) or stays 1: not state.
    state: [m, v],
    commands: () => commands,
    setStep: (t, lr) => step.setStep(hp(t, lr)),
    destroy() {
      for (const b of [table.buffer, m, v, everyEntry, norm, partials, status]) b.destroy();
    },
  };
}
