import { createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import type { Command } from '../gpu/ops';
import { matmul } from '../kernels/matmul';
import { scale } from '../kernels/scale';
import { type LoraPairBuffers, loraPairBuffers } from '../optim/loraOptimizer';
import type { LoraTable, LoraTarget } from './lora';
import { type ParamTable, tensor } from './params';

/**
 * The adapters on the GPU: every A and B in one flat buffer and their gradients in another,
 * both laid out by the LoRA table, and each pair as slices of the two (what the optimizers take).
 */
export class LoraModel {
  readonly weights: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly pairs: readonly LoraPairBuffers[];

  constructor(
    ctx: GpuContext,
    readonly table: LoraTable,
    initial: Float32Array,
  ) {
    if (initial.length !== table.totalLength) {
      throw new Error(
        `Adapters have ${initial.length} floats; these LoRA settings need ${table.totalLength}.`,
      );
    }
    this.weights = createStorage(ctx, 'lora.weights', initial);
    this.grads = createStorage(ctx, 'lora.grads', table.totalLength);
    this.pairs = loraPairBuffers(
      table.pairs.map((p) => p.name),
      table.pairs,
      this.weights,
      this.grads,
    );
  }

  /** The adapter on `target` of layer `layer`, if there is one. */
  pair(layer: number, target: LoraTarget): LoraPairBuffers | undefined {
    return this.pairs.find((p) => p.name === `h.${layer}.${target}`);
  }

  destroy(): void {
    this.weights.destroy();
    this.grads.destroy();
  }
}

/**
 * Commands adding every adapter into a parameter buffer (params.ts layout) that holds a copy of
 * the base: W (m,n) += (alpha/r) A (m,r) B^T (r,n). The base itself is never merged into, so it
 * stays bit-exact for further fine-tuning (no unmerge and its rounding drift); `scratch` holds
 * the scaled A and must fit the largest m * r (mergeScratchLength).
 */
export async function buildMerge(
  ctx: GpuContext,
  merged: GPUBuffer,
  params: ParamTable,
  lora: LoraModel,
  scratch: GPUBuffer,
): Promise<Command[]> {
  const commands: Command[] = [];
  for (const p of lora.pairs) {
    const w = tensor(params, `${p.name}.weight`);
    commands.push(
      {
        copy: {
          from: p.a.buffer,
          fromOffset: p.a.offset,
          to: scratch,
          toOffset: 0,
          size: p.a.size,
        },
      },
      ...(await Promise.all([
        scale(ctx, scratch, p.m * p.r, lora.table.scale),
        matmul(
          ctx,
          { buffer: merged, offset: w.offset * 4, size: w.length * 4 },
          scratch,
          p.b,
          null,
          { M: p.m, N: p.n, K: p.r, transB: true, accumulate: true },
        ),
      ])),
    );
  }
  return commands;
}
