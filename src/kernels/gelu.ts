import code from '../../shaders/gelu.wgsl?raw';
import mathCode from '../../shaders/gelu_math.wgsl?raw';
import type { Buf } from '../gpu/buffers';
import { createOp, type PreparedOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import { grid1d } from '../gpu/ops';
import type { ShaderSource } from '../gpu/pipelineCache';

const shader: ShaderSource = { name: 'gelu', code: `${mathCode}\n${code}` };
const WG = 256;

// out (n) = gelu(inp (n)), GPT-2's tanh form
export function geluForward(ctx: GpuContext, out: Buf, inp: Buf, n: number): Promise<PreparedOp> {
  return createOp(ctx, {
    label: 'gelu_forward',
    shader,
    entryPoint: 'forward',
    constants: { WG },
    params: { u32: [n] },
    buffers: [out, inp],
    workgroups: grid1d(Math.ceil(n / WG)),
  });
}

// dinp (n) += dout (n) * gelu'(inp (n))
export function geluBackward(
  ctx: GpuContext,
  dinp: Buf,
  inp: Buf,
  dout: Buf,
  n: number,
): Promise<PreparedOp> {
  return createOp(ctx, {
    label: 'gelu_backward',
    shader,
    entryPoint: 'backward',
    constants: { WG },
    params: { u32: [n] },
    buffers: [dinp, inp, dout],
    workgroups: grid1d(Math.ceil(n / WG)),
  });
}
