import type { GpuContext } from './device';

/** A byte range of a GPU buffer, as bound to a kernel. Offsets are multiples of 256 bytes. */
export interface BufferSlice {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

/** What a kernel launcher accepts for a tensor: a whole buffer or a slice of one. */
export type Buf = BufferSlice | GPUBuffer;

const STORAGE_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** WebGPU binds storage buffers in 4-byte words; a zero-sized binding is invalid. */
function paddedSize(bytes: number): number {
  return Math.max(4, Math.ceil(bytes / 4) * 4);
}

/** A storage buffer of `length` 32-bit words, zero-filled, or filled from `data`. */
export function createStorage(
  ctx: GpuContext,
  label: string,
  data: Float32Array | Uint32Array | Int32Array | number,
): GPUBuffer {
  const bytes = typeof data === 'number' ? data * 4 : data.byteLength;
  const buffer = ctx.device.createBuffer({ label, size: paddedSize(bytes), usage: STORAGE_USAGE });
  if (typeof data !== 'number' && data.byteLength > 0) {
    ctx.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }
  return buffer;
}

/** The whole of a buffer as a slice. */
export function whole(buffer: GPUBuffer): BufferSlice {
  return { buffer, offset: 0, size: buffer.size };
}

/** The binding of a slice in a bind group. */
export function bindSlice(binding: number, slice: BufferSlice | GPUBuffer): GPUBindGroupEntry {
  const s = 'buffer' in slice ? slice : whole(slice);
  return { binding, resource: { buffer: s.buffer, offset: s.offset, size: s.size } };
}
