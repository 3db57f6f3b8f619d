import type { GpuContext } from './device';

/**
 * Kernel parameters are WGSL structs of plain u32 and f32 fields, u32 fields first, so the
 * layout is one 4-byte slot per field with no alignment traps.
 */
function pack(u32s: readonly number[], f32s: readonly number[]): ArrayBuffer {
  const words = Math.max(4, Math.ceil((u32s.length + f32s.length) / 4) * 4);
  const data = new ArrayBuffer(words * 4);
  new Uint32Array(data, 0, u32s.length).set(u32s);
  new Float32Array(data, u32s.length * 4, f32s.length).set(f32s);
  return data;
}

export function createUniform(
  ctx: GpuContext,
  label: string,
  u32s: readonly number[],
  f32s: readonly number[] = [],
): GPUBuffer {
  const data = pack(u32s, f32s);
  const buffer = ctx.device.createBuffer({
    label,
    size: data.byteLength,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  ctx.device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/** Rewrites a uniform made by createUniform (e.g. the learning rate of the next step). */
export function writeUniform(
  ctx: GpuContext,
  buffer: GPUBuffer,
  u32s: readonly number[],
  f32s: readonly number[] = [],
): void {
  ctx.device.queue.writeBuffer(buffer, 0, pack(u32s, f32s));
}
