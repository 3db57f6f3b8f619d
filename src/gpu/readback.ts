import type { GpuContext } from './device';

/**
 * Copies `byteLength` bytes at `offset` of a buffer into a fresh staging buffer and maps it.
 * The copy is queued behind the work already submitted, so the promise resolves when the GPU
 * has finished that work; nothing waits synchronously.
 */
export async function readBuffer(
  ctx: GpuContext,
  source: GPUBuffer,
  offset = 0,
  byteLength = source.size - offset,
): Promise<ArrayBuffer> {
  const staging = ctx.device.createBuffer({
    label: `readback:${source.label}`,
    size: byteLength,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = ctx.device.createCommandEncoder({ label: 'readback' });
  encoder.copyBufferToBuffer(source, offset, staging, 0, byteLength);
  ctx.device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0);
  staging.destroy();
  return copy;
}

export async function readFloats(
  ctx: GpuContext,
  source: GPUBuffer,
  length?: number,
): Promise<Float32Array> {
  const bytes = await readBuffer(ctx, source, 0, length === undefined ? source.size : length * 4);
  return new Float32Array(bytes);
}

/**
 * A fixed ring of staging buffers for reading a small result (e.g. the loss) every step without
 * allocating: the step encodes a copy into the next slot, and the caller maps it later.
 * Slots are used in turn; the caller keeps at most `count` reads in flight (a step waits for
 * the oldest read before it reuses that slot).
 */
export class ReadbackRing {
  private readonly slots: GPUBuffer[];
  private readonly busy: boolean[];
  private next = 0;

  constructor(
    ctx: GpuContext,
    label: string,
    readonly byteLength: number,
    count: number,
  ) {
    this.slots = Array.from({ length: count }, (_, i) =>
      ctx.device.createBuffer({
        label: `${label}[${i}]`,
        size: byteLength,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      }),
    );
    this.busy = this.slots.map(() => false);
  }

  /** Encodes a copy of `source` into the next slot and returns the slot. */
  encodeCopy(encoder: GPUCommandEncoder, source: GPUBuffer, sourceOffset = 0): number {
    const slot = this.next;
    if (this.busy[slot])
      throw new Error(`ReadbackRing ${this.slots[slot].label} reused before it was read`);
    encoder.copyBufferToBuffer(source, sourceOffset, this.slots[slot], 0, this.byteLength);
    this.busy[slot] = true;
    this.next = (slot + 1) % this.slots.length;
    return slot;
  }

  /** Call after the encoder holding the copy was submitted; resolves with the bytes. */
  async read(slot: number): Promise<ArrayBuffer> {
    const buffer = this.slots[slot];
    await buffer.mapAsync(GPUMapMode.READ);
    const copy = buffer.getMappedRange().slice(0);
    buffer.unmap();
    this.busy[slot] = false;
    return copy;
  }

  destroy(): void {
    for (const b of this.slots) b.destroy();
  }
}
