import code from '../../shaders/layernorm.wgsl?raw';
import type { Buf } from '../gpu/buffers';
import { createOp, type PreparedOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import { grid1d, type KernelOp } from '../gpu/ops';
import type { ShaderSource } from '../gpu/pipelineCache';

const shader: ShaderSource = { name: 'layernorm', code };
const EPS = 1e-5; // GPT-2's layer_norm_epsilon
/** backward_params: columns per workgroup, and invocations sharing one column's rows. */
export const LN_COLS = 32;
export const LN_LANES = 8;

/** Invocations per row: the power of two covering C, capped at 256 (the workgroup limit). */
export function layernormRowWorkgroup(C: number): number {
  return Math.min(256, 2 ** Math.ceil(Math.log2(Math.max(1, C))));
}

// out (N,C), mean (N), rstd (N) = layernorm(inp (N,C)) * weight (C) + bias (C)
export function layernormForward(
  ctx: GpuContext,
  out: Buf,
  mean: Buf,
  rstd: Buf,
  inp: Buf,
  weight: Buf,
  bias: Buf,
  N: number,
  C: number,
): Promise<PreparedOp> {
  return createOp(ctx, {
    label: 'layernorm_forward',
    shader,
    entryPoint: 'forward',
    constants: { WG: layernormRowWorkgroup(C) },
    params: { u32: [N, C], f32: [EPS] },
    buffers: [inp, mean, rstd, bias, weight, out],
    workgroups: grid1d(N),
  });
}

/** Both backward dispatches; they write disjoint gradients, so their order does not matter. */
export type LayernormBackwardOp = KernelOp;

// dinp (N,C) +=, dweight (C) +=, dbias (C) += from dout (N,C), with mean (N), rstd (N) of forward
export async function layernormBackward(
  ctx: GpuContext,
  dinp: Buf,
  dweight: Buf,
  dbias: Buf,
  dout: Buf,
  inp: Buf,
  weight: Buf,
  mean: Buf,
  rstd: Buf,
  N: number,
  C: number,
): Promise<LayernormBackwardOp> {
  const params = { u32: [N, C], f32: [EPS] };
  const [input, weights] = await Promise.all([
    createOp(ctx, {
      label: 'layernorm_backward_input',
      shader,
      entryPoint: 'backward_input',
      constants: { WG: layernormRowWorkgroup(C) },
      params,
      buffers: [inp, mean, rstd, dout, weight, dinp],
      workgroups: grid1d(N),
    }),
    createOp(ctx, {
      label: 'layernorm_backward_params',
      shader,
      entryPoint: 'backward_params',
      constants: { COLS: LN_COLS, LANES: LN_LANES },
      params,
      buffers: [inp, mean, rstd, dout, dweight, dbias],
      workgroups: [Math.ceil(C / LN_COLS)],
    }),
  ]);
  return {
    label: 'layernorm_backward',
    encode(pass) {
      input.encode(pass);
      weights.encode(pass);
    },
  };
}
