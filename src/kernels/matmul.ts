import biasBackwardCode from '../../shaders/bias_backward.wgsl?raw';
import geluMathCode from '../../shaders/gelu_math.wgsl?raw';
import matmulCode from '../../shaders/matmul.wgsl?raw';
import geluCode from '../../shaders/matmul_gelu.wgsl?raw';
import geluGradCode from '../../shaders/matmul_gelu_grad.wgsl?raw';
import plainCode from '../../shaders/matmul_plain.wgsl?raw';
import residualCode from '../../shaders/matmul_residual.wgsl?raw';
import type { Buf } from '../gpu/buffers';
import { createOp, type PreparedOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import type { ShaderSource } from '../gpu/pipelineCache';
import type { MatmulShape } from '../reference/matmul';

// One kernel, one shader module per epilogue (matmul.wgsl's binding table).
const matmulShader: ShaderSource = { name: 'matmul', code: `${matmulCode}\n${plainCode}` };
const residualShader: ShaderSource = {
  name: 'matmul_residual',
  code: `${matmulCode}\n${residualCode}`,
};
const geluShader: ShaderSource = {
  name: 'matmul_gelu',
  code: `${matmulCode}\n${geluMathCode}\n${geluCode}`,
};
const geluGradShader: ShaderSource = {
  name: 'matmul_gelu_grad',
  code: `${matmulCode}\n${geluMathCode}\n${geluGradCode}`,
};
const biasBackwardShader: ShaderSource = { name: 'bias_backward', code: biasBackwardCode };

/**
 * How the product is computed: 'staged' copies tiles into workgroup memory (what GPUs want);
 * 'direct' reads storage straight away, which measured 1.5-2x faster on SwiftShader (CPU
 * caches do the staging; barriers are costly there). See src/bench/tune.ts.
 */
export type MatmulPath = 'staged' | 'direct';

export function matmulPath(ctx: GpuContext): MatmulPath {
  const a = ctx.adapter;
  return a.architecture === 'swiftshader' || a.isFallbackAdapter ? 'direct' : 'staged';
}

// Invocations per workgroup along N and M, rows and columns per invocation, and the depth of a
// staged k-tile; a workgroup covers (RM WG_Y) x (CN WG_X) of out. The direct path's 8 x 8
// invocations of 8 x 8 outputs were fastest on SwiftShader (src/bench/tune.ts; its kernel needs
// exactly these RM and CN); the staged path keeps the 64 x 64 tiles usual on GPUs.
const TILING = {
  staged: { WG_X: 16, WG_Y: 16, RM: 4, CN: 4, TK: 16 },
  direct: { WG_X: 8, WG_Y: 8, RM: 8, CN: 8 },
} as const;
const BIAS_WG = 64;

/** What the store adds last, in the same pass. */
export interface MatmulEpilogue {
  /** (batch,M,N), laid out as out: out = product + bias + residual (a residual connection). */
  residual?: Buf;
  /** (batch,M,N), laid out as out: gelu(out), written beside out (the MLP's activation). */
  gelu?: Buf;
  /** (batch,M,N), laid out as out: out = product * gelu'(geluGradAt) (GELU's backward). */
  geluGradAt?: Buf;
}

function epilogueShader({ residual, gelu, geluGradAt }: MatmulEpilogue): ShaderSource {
  const chosen = [residual && residualShader, gelu && geluShader, geluGradAt && geluGradShader];
  const shaders = chosen.filter((s): s is ShaderSource => Boolean(s));
  if (shaders.length > 1) throw new Error('A matmul takes at most one epilogue.');
  return shaders[0] ?? matmulShader;
}

// out (batch,M,N) = op(a) (batch,M,K) · op(b) (batch,K,N) [+ bias (N)] [+ out] [+ residual]
// [* gelu'(geluGradAt)]; [gelu (batch,M,N) = gelu(out)]
export function matmul(
  ctx: GpuContext,
  out: Buf,
  a: Buf,
  b: Buf,
  bias: Buf | null,
  shape: MatmulShape,
  epilogue: MatmulEpilogue = {},
): Promise<PreparedOp> {
  return matmulVia(ctx, matmulPath(ctx), out, a, b, bias, shape, epilogue);
}

// matmul by a chosen path (the checks run both on every adapter)
export function matmulVia(
  ctx: GpuContext,
  path: MatmulPath,
  out: Buf,
  a: Buf,
  b: Buf,
  bias: Buf | null,
  shape: MatmulShape,
  epilogue: MatmulEpilogue = {},
): Promise<PreparedOp> {
  const { M, N, K, batch = 1, transA = false, transB = false, accumulate = false } = shape;
  const strideA = shape.strideA ?? M * K;
  const strideB = shape.strideB ?? K * N;
  const strideOut = shape.strideOut ?? M * N;
  const tiling = TILING[path];
  const shader = epilogueShader(epilogue);
  const extra = epilogue.residual ?? epilogue.gelu ?? epilogue.geluGradAt;
  const variant = `${transA ? 't' : 'n'}${transB ? 't' : 'n'}${bias ? '_bias' : ''}${accumulate ? '_acc' : ''}`;
  return createOp(ctx, {
    label: `${shader.name}_${path}_${variant}`,
    shader,
    entryPoint: path === 'staged' ? 'matmul' : 'matmul_direct',
    constants: {
      TRANS_A: Number(transA),
      TRANS_B: Number(transB),
      HAS_BIAS: Number(bias !== null),
      ACCUMULATE: Number(accumulate),
      ...tiling,
    },
    params: { u32: [M, N, K, strideA, strideB, strideOut] },
    // Without a bias the binding is never read; `a` fills it since a binding cannot be empty.
    buffers: [out, a, b, bias ?? a, ...(extra ? [extra] : [])],
    workgroups: [
      Math.ceil(N / (tiling.CN * tiling.WG_X)),
      Math.ceil(M / (tiling.RM * tiling.WG_Y)),
      batch,
    ],
  });
}

// dbias (N) += sum over rows of dout (M,N)
export function biasBackward(
  ctx: GpuContext,
  dbias: Buf,
  dout: Buf,
  M: number,
  N: number,
): Promise<PreparedOp> {
  return createOp(ctx, {
    label: 'bias_backward',
    shader: biasBackwardShader,
    constants: { WG: BIAS_WG },
    params: { u32: [M, N] },
    buffers: [dbias, dout],
    workgroups: [Math.ceil(N / BIAS_WG)],
  });
}
