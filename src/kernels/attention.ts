import code from '../../shaders/attention.wgsl?raw';
import type { Buf } from '../gpu/buffers';
import { createOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import { grid1d, type KernelOp } from '../gpu/ops';
import type { ShaderSource } from '../gpu/pipelineCache';

const shader: ShaderSource = { name: 'attention', code };
const WG = 64;
// Backward keeps two score rows of T floats in workgroup memory: 2 * 1024 * 4 B + the tree fit
// the 16 KiB every adapter offers.
export const ATTENTION_MAX_T = 1024;

function launch(T: number, C: number, NH: number, rows: number) {
  if (C % NH !== 0) throw new Error(`attention: C=${C} is not a multiple of NH=${NH}`);
  if (T < 1 || T > ATTENTION_MAX_T) {
    throw new Error(`attention: T=${T} outside 1..${ATTENTION_MAX_T}`);
  }
  const hs = C / NH;
  return {
    shader,
    constants: { WG, TMAX: T },
    params: { u32: [T, C, NH, hs, rows], f32: [1 / Math.sqrt(hs)] },
    workgroups: grid1d(rows),
  };
}

// f32 elements forward saves for backward: the log-sum-exp of each score row, (B,NH,T)
export function attentionSavedLength(B: number, T: number, NH: number): number {
  return B * NH * T;
}

// out (B,T,C), saved (B,NH,T) = causal softmax(q k^T / sqrt(hs)) v over qkv (B,T,3C)
export function attentionForward(
  ctx: GpuContext,
  out: Buf,
  saved: Buf,
  qkv: Buf,
  B: number,
  T: number,
  C: number,
  NH: number,
): Promise<KernelOp> {
  return createOp(ctx, {
    label: 'attention_forward',
    entryPoint: 'forward',
    buffers: [out, saved, qkv],
    ...launch(T, C, NH, B * NH * T),
  });
}

// dqkv (B,T,3C) += from dout (B,T,C), qkv (B,T,3C) and saved (B,NH,T) from forward;
// delta (B,NH,T) is scratch the caller owns (D = rowsum(P * dP): the rows pass makes it, the
// columns pass needs all of it), so one buffer can serve every layer
export async function attentionBackward(
  ctx: GpuContext,
  dqkv: Buf,
  dout: Buf,
  qkv: Buf,
  saved: Buf,
  delta: Buf,
  B: number,
  T: number,
  C: number,
  NH: number,
): Promise<KernelOp> {
  const rows = B * NH * T;
  const spec = { buffers: [dqkv, saved, qkv, dout, delta], ...launch(T, C, NH, rows) };
  const [byRow, byColumn] = await Promise.all([
    createOp(ctx, { label: 'attention_backward_rows', entryPoint: 'backward_rows', ...spec }),
    createOp(ctx, { label: 'attention_backward_columns', entryPoint: 'backward_columns', ...spec }),
  ]);
  return {
    label: 'attention_backward',
    encode(pass) {
      byRow.encode(pass);
      byColumn.encode(pass);
    },
  };
}
