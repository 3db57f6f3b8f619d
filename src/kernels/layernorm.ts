import code from '../../shaders/layernorm.wgsl?raw';
import type { Buf } from '../gpu/buffers';
import { createOp, type PreparedOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import { grid1d, type KernelOp } from '../gpu/ops';
import type { ShaderSource } from '../gpu/pipelineCache';

const shader: ShaderSource = { name: 'layernorm', code };
const EPS = 1e-5; // GPT-2's layer_norm_epsilon
const WG = 256;
/** backward_params: invocations sharing one column's rows (WG / LN_COL_LANES columns a workgroup). */
export const LN_COL_LANES = 8;

/**
 * Invocations sharing a row: enough for about 32 elements each, at most 32 (a warp, as in llm.c).
 * Small rows get few lanes and many rows per workgroup, so few barriers per row.
 */
export function layernormRowLanes(C: number): number {
  return Math.min(32, 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(C / 32)))));
}

function rowConstants(N: number, C: number) {
  const lanes = layernormRowLanes(C);
  return {
    constants: { WG, ROW_LANES: lanes },
    workgroups: grid1d(Math.ceil(N / (WG / lanes))),
  };
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
    params: { u32: [N, C], f32: [EPS] },
    buffers: [inp, mean, rstd, bias, weight, out],
    ...rowConstants(N, C),
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
      params,
      buffers: [inp, mean, rstd, dout, weight, dinp],
      ...rowConstants(N, C),
    }),
    createOp(ctx, {
      label: 'layernorm_backward_params',
      shader,
      entryPoint: 'backward_params',
      constants: { WG, COL_LANES: LN_COL_LANES },
      params,
      buffers: [inp, mean, rstd, dout, dweight, dbias],
      workgroups: [Math.ceil(C / (WG / LN_COL_LANES))],
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
