// Drives a LoRA optimizer on the GPU from float64 factors and gradients, for the checks: the
// factors go up in f32 laid out by loraLayout, each step uploads the gradients, submits the
// optimizer's commands and reads back the factors and the non-finite status.

import type { GpuContext } from '../gpu/device';
import { submitOps } from '../gpu/ops';
import { readBuffer } from '../gpu/readback';
import type { CheckBuffers } from '../selftest/checkBuffers';
import { createLoraOptimizer } from './createLoraOptimizer';
import { fromArray, type Mat } from './linalg';
import {
  type LoraOptimizer,
  type LoraOptimizerSettings,
  loraLayout,
  loraPairBuffers,
} from './loraOptimizer';
import type { LoraGrad, LoraPair } from './reference/lora';

export interface LoraStepResult {
  pairs: LoraPair[];
  status: Uint32Array;
}

export interface LoraGpuRun {
  readonly optimizer: LoraOptimizer;
  /** Overwrites the factors on the GPU (the optimizer's state is left as it is). */
  load(pairs: readonly LoraPair[]): void;
  /** Step t (0-based) from the gradients; returns the factors after it. */
  step(t: number, grads: readonly LoraGrad[]): Promise<LoraStepResult>;
  destroy(): void;
}

export const pairNames = (count: number) => Array.from({ length: count }, (_, i) => `pair${i}`);

export async function loraGpuRun(
  ctx: GpuContext,
  bufs: CheckBuffers,
  start: readonly LoraPair[],
  settings: LoraOptimizerSettings,
): Promise<LoraGpuRun> {
  const shapes = start.map(({ a, b }) => ({ m: a.rows, n: b.rows, r: a.cols }));
  const layout = loraLayout(shapes);
  // x (loraLayout) with each pair's two matrices at their offsets, in f32
  const flat = (mats: readonly [Mat, Mat][]) => {
    const out = new Float32Array(layout.length);
    mats.forEach(([a, b], i) => {
      out.set(a.data, layout.a[i]);
      out.set(b.data, layout.b[i]);
    });
    return out;
  };
  const params = bufs.upload('lora.params', flat(start.map(({ a, b }) => [a, b])));
  const grads = bufs.zeros('lora.grads', layout.length);
  const pairs = loraPairBuffers(pairNames(start.length), shapes, params, grads);
  const optimizer = await createLoraOptimizer(ctx, pairs, settings);
  return {
    optimizer,
    load: (pairs) => ctx.device.queue.writeBuffer(params, 0, flat(pairs.map(({ a, b }) => [a, b]))),
    async step(t, g) {
      ctx.device.queue.writeBuffer(grads, 0, flat(g.map(({ da, db }) => [da, db])));
      optimizer.setStep(t, settings.lr);
      submitOps(ctx, optimizer.commands());
      const values = await bufs.read(params, layout.length);
      const status = new Uint32Array(await readBuffer(ctx, optimizer.status));
      return {
        pairs: shapes.map(({ m, n, r }, i) => ({
          a: fromArray(m, r, values.subarray(layout.a[i], layout.a[i] + m * r)),
          b: fromArray(n, r, values.subarray(layout.b[i], layout.b[i] + n * r)),
        })),
        status,
      };
    },
    destroy: () => optimizer.destroy(),
  };
}
