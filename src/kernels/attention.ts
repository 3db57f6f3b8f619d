import code from '../../shaders/attention.wgsl?raw';
import type { Buf } from '../gpu/buffers';
import { createOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import { grid1d, type KernelOp } from '../gpu/ops';
import type { ShaderSource } from '../gpu/pipelineCache';

const shader: ShaderSource = { name: 'attention', code };

export const ATTENTION_MAX_T = 1024;
export const ATTENTION_MAX_HEAD_SIZE = 128;
// Invocations per workgroup on a GPU: each owns one 4-position x 4-channel block of a tile's output.
const GPU_WG = 64;
// Workgroup memory every adapter offers (REQUIRED_LIMITS), in f32 words.
const WORKGROUP_WORDS = 16384 / 4;

/**
 * How the kernels tile a head: positions per workgroup (rows), and positions of the other side
 * per stage: `stage` for forward and backward_dq (one score tile), `pairStage` for backward_dkv
 * (P and dS tiles side by side); `invocations` per workgroup.
 */
export interface AttentionTiles {
  rows: number;
  stage: number;
  pairStage: number;
  invocations: number;
}

const CPU_ROWS = 4;
const CPU_STAGE = 64;
const roundDown4 = (n: number) => Math.max(4, Math.floor(n / 4) * 4);

/**
 * Tiles for an adapter, context and head size; every invocation owns a 4 x 4 block of output.
 * On a CPU adapter (SwiftShader) one 4-row tile per workgroup, with ceil(hs / 4) invocations
 * (at least 4, one per row for the softmax statistics), and 64 positions per stage: there a
 * workgroup's cost grows with its invocations times its workgroup memory (a workgroup that
 * returns at once costs 0.26 ms with 8 KiB and 64 invocations, 0.05 ms with 4), so the smallest
 * workgroups win although they reload the other side per 4 rows. Measured as the CPU time of
 * Chromium's processes per launch (read from /proc around each launch by a local driver; wall
 * time on this loaded machine drifted 2-5x), forward +
 * backward over the same block's qkv layer (forward, dinp, dweight), minimum of 3 alternating
 * rounds: tiny (B=8 T=64 hs=16) 64 rows x 64 invocations 2.74, 4 rows with stage 8 2.27, 16
 * 1.62, 32 1.58, 64 1.60, 128 1.76; 8 rows x 8 invocations 1.66; small (B=8 T=128 hs=32) 32
 * rows x 64 invocations 2.00, 4 rows with stage 16 1.51, 32 1.34, 64 1.14, 128 1.21.
 * `node scripts/bench.mjs tuneAttention` repeats the comparison in wall time.
 * On a GPU 64 invocations, rows = 4 * floor(64 / ceil(hs / 4)) (64 at hs <= 16, 32 at hs = 32,
 * 8 at hs = 128), stages as long as workgroup memory allows beside two floats per row (few
 * stages, few barriers); not measured here, as this machine has no GPU.
 */
export function attentionTiles(architecture: string, T: number, hs: number): AttentionTiles {
  const hs4 = Math.ceil(hs / 4);
  const upToT = 4 * Math.ceil(T / 4);
  if (architecture === 'swiftshader') {
    const stage = Math.min(upToT, CPU_STAGE);
    return { rows: CPU_ROWS, stage, pairStage: stage, invocations: Math.max(CPU_ROWS, hs4) };
  }
  const rows = Math.min(upToT, 4 * Math.min(16, Math.floor(GPU_WG / hs4)));
  const words = WORKGROUP_WORDS - 2 * rows;
  return {
    rows,
    stage: Math.min(upToT, roundDown4(words / rows)),
    pairStage: Math.min(upToT, roundDown4(words / (2 * rows))),
    invocations: GPU_WG,
  };
}

function launch(
  ctx: GpuContext,
  B: number,
  T: number,
  C: number,
  NH: number,
  chosen?: AttentionTiles,
) {
  if (C % NH !== 0) throw new Error(`attention: C=${C} is not a multiple of NH=${NH}`);
  if (T < 1 || T > ATTENTION_MAX_T) {
    throw new Error(`attention: T=${T} outside 1..${ATTENTION_MAX_T}`);
  }
  const hs = C / NH;
  if (hs > ATTENTION_MAX_HEAD_SIZE) {
    throw new Error(`attention: head size ${hs} over ${ATTENTION_MAX_HEAD_SIZE}; use more heads`);
  }
  const tiles = chosen ?? attentionTiles(ctx.adapter.architecture, T, hs);
  const perHead = Math.ceil(T / tiles.rows);
  const units = B * NH * perHead;
  const spec = {
    shader,
    params: { u32: [T, C, NH, hs, perHead, units], f32: [1 / Math.sqrt(hs)] },
    workgroups: grid1d(units),
  };
  const constants = (stage: number) => ({
    ROWS: tiles.rows,
    STAGE: stage,
    HS4: Math.ceil(hs / 4),
    WG: tiles.invocations,
  });
  return { spec, constants, tiles };
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
  tiles?: AttentionTiles,
): Promise<KernelOp> {
  const { spec, constants, tiles: chosen } = launch(ctx, B, T, C, NH, tiles);
  return createOp(ctx, {
    label: 'attention_forward',
    entryPoint: 'forward',
    buffers: [out, saved, qkv],
    ...spec,
    constants: constants(chosen.stage),
  });
}

// dqkv (B,T,3C) += from dout (B,T,C), qkv (B,T,3C), and out (B,T,C) and saved (B,NH,T) from
// forward; delta (B,NH,T) is scratch the caller owns (D = rowsum(dout * out): the dq pass makes
// it, the dk/dv pass needs all of it), so one buffer can serve every layer
export async function attentionBackward(
  ctx: GpuContext,
  dqkv: Buf,
  dout: Buf,
  qkv: Buf,
  out: Buf,
  saved: Buf,
  delta: Buf,
  B: number,
  T: number,
  C: number,
  NH: number,
  tiles?: AttentionTiles,
): Promise<KernelOp> {
  const { spec, constants, tiles: chosen } = launch(ctx, B, T, C, NH, tiles);
  const shared = [dqkv, saved, qkv, dout, delta];
  const [dq, dkv] = await Promise.all([
    createOp(ctx, {
      label: 'attention_backward_dq',
      entryPoint: 'backward_dq',
      ...spec,
      constants: constants(chosen.stage),
      buffers: [...shared, out],
    }),
    createOp(ctx, {
      label: 'attention_backward_dkv',
      entryPoint: 'backward_dkv',
      ...spec,
      constants: constants(chosen.pairStage),
      buffers: shared,
    }),
  ]);
  return {
    label: 'attention_backward',
    encode(pass) {
      dq.encode(pass);
      dkv.encode(pass);
    },
  };
}
