import code from '../../shaders/residual.wgsl?raw';
import type { Buf } from '../gpu/buffers';
import { createOp, type PreparedOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import { grid1d } from '../gpu/ops';
import type { ShaderSource } from '../gpu/pipelineCache';

const shader: ShaderSource = { name: 'residual', code };
const WG = 256;

// out (n) = a (n) + b (n)
export function residualForward(
  ctx: GpuContext,
  out: Buf,
  a: Buf,
  b: Buf,
  n: number,
): Promise<PreparedOp> {
  return createOp(ctx, {
    label: 'residual_forward',
    shader,
    entryPoint: 'forward',
    constants: { WG },
    params: { u32: [n] },
    buffers: [out, b, a],
    workgroups: grid1d(Math.ceil(n / WG)),
  });
}

// out (n) += b (n): where two gradient paths meet (the residual stream in backward)
export function residualAccumulate(
  ctx: GpuContext,
  out: Buf,
  b: Buf,
  n: number,
): Promise<PreparedOp> {
  return createOp(ctx, {
    label: 'residual_accumulate',
    shader,
    entryPoint: 'accumulate',
    constants: { WG },
    params: { u32: [n] },
    buffers: [out, b],
    workgroups: grid1d(Math.ceil(n / WG)),
  });
}
