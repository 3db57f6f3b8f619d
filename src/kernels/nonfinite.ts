import code from '../../shaders/nonfinite.wgsl?raw';
import type { Buf } from '../gpu/buffers';
import { createOp, type PreparedOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import type { ShaderSource } from '../gpu/pipelineCache';

const shader: ShaderSource = { name: 'nonfinite', code };
const WG = 64;

// flags (R) u32 = [range i of data holds a NaN or an infinity], ranges (R,2) u32 = (offset, length)
export function nonfinite(
  ctx: GpuContext,
  flags: Buf,
  data: Buf,
  ranges: Buf,
  R: number,
): Promise<PreparedOp> {
  return createOp(ctx, {
    label: 'nonfinite',
    shader,
    entryPoint: 'nonfinite',
    constants: { WG },
    params: { u32: [R] },
    buffers: [flags, data, ranges],
    workgroups: [R],
  });
}
