// The per-pair table the batched LoRA optimizer kernels index by workgroup: sizes and the
// offsets of each pair's factors in the flat buffers laid out by loraLayout. The kernels read it
// through shaders/lora_table.wgsl, which documents the same layout.

import { createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { type LoraLayout, type LoraPairBuffers, loraLayout, smallSlot } from './loraOptimizer';

/** u32 words per pair: m, n, r, offset of A, offset of B, offset of the pair's r x r slots. */
export const TABLE_WORDS = 6;

export interface LoraTable {
  buffer: GPUBuffer;
  layout: LoraLayout;
  /** Floats of all pairs' r x r slots together. */
  smallLength: number;
}

/**
 * Checks that the pairs are laid out by loraLayout in one params and one grads buffer of exactly
 * the layout's length (what loraPairBuffers makes), and uploads their table.
 */
export function createLoraTable(ctx: GpuContext, pairs: readonly LoraPairBuffers[]): LoraTable {
  if (pairs.length === 0) throw new Error('LoRA optimizer: no LoRA pairs to optimize');
  const layout = loraLayout(pairs);
  const params = pairs[0].a.buffer;
  const grads = pairs[0].da.buffer;
  pairs.forEach((p, i) => {
    const fits =
      p.a.buffer === params &&
      p.b.buffer === params &&
      p.da.buffer === grads &&
      p.db.buffer === grads &&
      p.a.offset === layout.a[i] * 4 &&
      p.da.offset === layout.a[i] * 4 &&
      p.b.offset === layout.b[i] * 4 &&
      p.db.offset === layout.b[i] * 4;
    if (!fits) {
      throw new Error(
        `LoRA optimizer: pair ${p.name} is not where loraLayout puts it; make the pairs with ` +
          'loraPairBuffers (one params and one grads buffer for all pairs)',
      );
    }
  });
  if (params.size !== layout.length * 4 || grads.size !== layout.length * 4) {
    throw new Error(
      `LoRA optimizer: the params and grads buffers must hold exactly the ${layout.length} ` +
        `floats of loraLayout, got ${params.size / 4} and ${grads.size / 4}`,
    );
  }
  const words = new Uint32Array(pairs.length * TABLE_WORDS);
  let small = 0;
  pairs.forEach(({ m, n, r }, i) => {
    words.set([m, n, r, layout.a[i], layout.b[i], small], i * TABLE_WORDS);
    small += smallSlot(r);
  });
  return { buffer: createStorage(ctx, 'lora.table', words), layout, smallLength: small };
}
