import code from '../../shaders/scale.wgsl?raw';
import type { Buf } from '../gpu/buffers';
import { createOp, type PreparedOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import { grid1d } from '../gpu/ops';
import type { ShaderSource } from '../gpu/pipelineCache';

const shader: ShaderSource = { name: 'scale', code };
const WG = 256;

// x (n) = c x (n), in place
export function scale(ctx: GpuContext, x: Buf, n: number, c: number): Promise<PreparedOp> {
  return createOp(ctx, {
    label: 'scale',
    shader,
    entryPoint: 'scale',
    constants: { WG },
    params: { u32: [n], f32: [c] },
    buffers: [x],
    workgroups: grid1d(Math.ceil(n / WG)),
  });
}
