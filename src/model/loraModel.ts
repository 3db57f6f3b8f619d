import { type BufferSlice, createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import type { Command } from '../gpu/ops';
import { matmul } from '../kernels/matmul';
import { scale } from '../kernels/scale';
import type { LoraPairBuffers } from '../optim/loraOptimizer';
import type { LoraPairLayout, LoraTable, LoraTarget } from './lora';
import { type ParamTable, tensor } from './params';

/** The adapters on the GPU: factors and their gradients in two flat buffers. */
export class LoraModel {
  readonly weights: GPUBuffer;
  readonly grads: GPUBuffer;

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
  }

  /** The adapter on `target` of layer `layer`, if there is one. */
  pair(layer: number, target: LoraTarget): LoraPairLayout | undefined {
    return this.table.byName.get(`h.${layer}.${target}`);
  }

  /** A (m, r) or its gradient, as a slice of `buffer` (weights or grads). */
  a(buffer: GPUBuffer, p: LoraPairLayout): BufferSlice {
    return { buffer, offset: p.aOffset * 4, size: p.m * p.r * 4 };
  }

  /** B (n, r) or its gradient, as a slice of `buffer` (weights or grads). */
  b(buffer: GPUBuffer, p: LoraPairLayout): BufferSlice {
    return { buffer, offset: p.bOffset * 4, size: p.n * p.r * 4 };
  }

  /** Every pair as the optimizers see it. */
  pairBuffers(): LoraPairBuffers[] {
    return this.table.pairs.map((p) => ({
      name: p.name,
      m: p.m,
      n: p.n,
      r: p.r,
      a: this.a(this.weights, p),
      b: this.b(this.weights, p),
      da: this.a(this.grads, p),
      db: this.b(this.grads, p),
    }));
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
 * the scaled A and must fit the largest m * r.
 */
export async function buildMerge(
  ctx: GpuContext,
  merged: GPUBuffer,
  params: ParamTable,
  lora: LoraModel,
  scratch: GPUBuffer,
): Promise<Command[]> {
  const commands: Command[] = [];
  for (const p of lora.table.pairs) {
    const w = tensor(params, `${p.name}.weight`);
    const a = lora.a(lora.weights, p);
    commands.push(
      { copy: { from: a.buffer, fromOffset: a.offset, to: scratch, toOffset: 0, size: a.size } },
      ...(await Promise.all([
        scale(ctx, scratch, p.m * p.r, lora.table.scale),
        matmul(
          ctx,
          { buffer: merged, offset: w.offset * 4, size: w.length * 4 },
          scratch,
          lora.b(lora.weights, p),
          null,
          { M: p.m, N: p.n, K: p.r, transB: true, accumulate: true },
        ),
      ])),
    );
  }
  return commands;
}
