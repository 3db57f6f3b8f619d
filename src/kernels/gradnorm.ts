import code from '../../shaders/gradnorm.wgsl?raw';
import type { Buf } from '../gpu/buffers';
import { createOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import { grid1d, type KernelOp } from '../gpu/ops';
import type { ShaderSource } from '../gpu/pipelineCache';

const shader: ShaderSource = { name: 'gradnorm', code };
// Small workgroups: on SwiftShader a 256-wide workgroup folding its tree ran 15x slower than
// 64-wide ones summing the same 4096 elements, and 64 is still one full AMD wavefront.
export const GRAD_NORM_WG = 64;
export const GRAD_NORM_PER_THREAD = 64;
/** The single workgroup of stage 2: wider, so each invocation adds fewer partials in sequence. */
export const GRAD_NORM_FINISH_WG = 256;
/** Gradient elements summed by one stage-1 workgroup: 150M parameters give ~37k partials. */
export const ELEMS_PER_WG = GRAD_NORM_WG * GRAD_NORM_PER_THREAD;

export function gradNormPartialsLength(n: number): number {
  return Math.ceil(n / ELEMS_PER_WG);
}

// partials (ceil(n / ELEMS_PER_WG)) = per-chunk sums of grads^2, grads (n);
// norm (2) = [||grads||_2, maxNorm > 0 ? min(1, maxNorm / (||grads|| + 1e-6)) : 1]
export async function gradNorm(
  ctx: GpuContext,
  norm: Buf,
  partials: Buf,
  grads: Buf,
  n: number,
  maxNorm: number,
): Promise<KernelOp> {
  const count = gradNormPartialsLength(n);
  const [stage1, stage2] = await Promise.all([
    createOp(ctx, {
      label: 'grad_norm_partials',
      shader,
      entryPoint: 'partials',
      constants: { WG: GRAD_NORM_WG, PER_THREAD: GRAD_NORM_PER_THREAD },
      params: { u32: [n], f32: [0] },
      buffers: [partials, grads],
      workgroups: grid1d(count),
    }),
    createOp(ctx, {
      label: 'grad_norm_finish',
      shader,
      entryPoint: 'finish',
      constants: { WG: GRAD_NORM_FINISH_WG },
      params: { u32: [count], f32: [maxNorm] },
      buffers: [norm, partials],
      workgroups: [1],
    }),
  ]);
  return {
    label: 'grad_norm',
    encode(pass) {
      stage1.encode(pass);
      stage2.encode(pass);
    },
  };
}
