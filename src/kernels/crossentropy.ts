import code from '../../shaders/crossentropy.wgsl?raw';
import type { Buf } from '../gpu/buffers';
import { createOp, type PreparedOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import { grid1d } from '../gpu/ops';
import type { ShaderSource } from '../gpu/pipelineCache';

const shader: ShaderSource = { name: 'crossentropy', code };
/**
 * Invocations per row (a power of two, for the trees): enough that each loops over about 8
 * columns, from 32 to 256. Small vocabularies get small workgroups: on SwiftShader a 256-wide
 * workgroup over 256 logits ran ~30x slower than a 32-wide one, its barriers dominating.
 */
export function crossentropyWorkgroupSize(cols: number): number {
  return Math.min(256, Math.max(32, 2 ** Math.ceil(Math.log2(cols / 8))));
}

/** A target that contributes loss 0 and gradient 0 (padding, prompt tokens in fine-tuning). */
export const IGNORE_INDEX = 0xffffffff;

// losses (N) = -log softmax(logits (N,V))[targets (N)]; for validation and sampling
export function crossentropyForward(
  ctx: GpuContext,
  losses: Buf,
  logits: Buf,
  targets: Buf,
  N: number,
  V: number,
): Promise<PreparedOp> {
  return createOp(ctx, {
    label: 'crossentropy_forward',
    shader,
    entryPoint: 'forward',
    constants: { WG: crossentropyWorkgroupSize(V) },
    params: { u32: [N, V], f32: [0] },
    buffers: [losses, targets, logits],
    workgroups: grid1d(N),
  });
}

// losses (N) as above; logits (N,V) overwritten by dlogits = (softmax - onehot(targets)) * dlossScale.
// In place, as in llm.c: no separate (N,V) gradient buffer. dlossScale (e.g. 1/(B*T*gradAccumSteps))
// is the uniform's f32 field: rewrite it with writeUniform(ctx, op.params, [N, V], [scale]).
export function crossentropyForwardBackward(
  ctx: GpuContext,
  losses: Buf,
  logits: Buf,
  targets: Buf,
  N: number,
  V: number,
  dlossScale: number,
): Promise<PreparedOp> {
  return createOp(ctx, {
    label: 'crossentropy_forward_backward',
    shader,
    entryPoint: 'forward_backward',
    constants: { WG: crossentropyWorkgroupSize(V) },
    params: { u32: [N, V], f32: [dlossScale] },
    buffers: [losses, targets, logits],
    workgroups: grid1d(N),
  });
}

// seqLoss (B) = mean of losses (B,T) over each sequence's non-ignored targets (B,T);
// meanLoss (1) = mean over all non-ignored targets; 0 where nothing is counted
export function sequenceLoss(
  ctx: GpuContext,
  seqLoss: Buf,
  meanLoss: Buf,
  losses: Buf,
  targets: Buf,
  B: number,
  T: number,
): Promise<PreparedOp> {
  return createOp(ctx, {
    label: 'sequence_loss',
    shader,
    entryPoint: 'sequence_loss',
    constants: { WG: crossentropyWorkgroupSize(T) },
    params: { u32: [B, T], f32: [0] },
    buffers: [losses, targets, seqLoss, meanLoss],
    workgroups: [1],
  });
}
