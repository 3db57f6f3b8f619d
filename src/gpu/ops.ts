import type { GpuContext } from './device';

/**
 * A kernel launch prepared once (pipeline, bind group and parameters fixed at creation):
 * encoding it into a pass is all a training step does.
 */
export interface KernelOp {
  readonly label: string;
  encode(pass: GPUComputePassEncoder): void;
}

export const MAX_WORKGROUPS_PER_DIM = 65535;

/**
 * Splits `count` workgroups over x and y so neither exceeds the per-dimension limit; a shader
 * recovers the linear index as wid.x + wid.y * num_workgroups.x and skips indices past the end.
 */
export function grid1d(count: number): [number, number] {
  if (count <= MAX_WORKGROUPS_PER_DIM) return [Math.max(1, count), 1];
  const y = Math.ceil(count / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(count / y), y];
}

/** A prepared op that dispatches one pipeline with one bind group. */
export function dispatchOp(
  label: string,
  pipeline: GPUComputePipeline,
  bindGroup: GPUBindGroup,
  workgroups: readonly [number, number?, number?],
): KernelOp {
  const [x, y = 1, z = 1] = workgroups;
  return {
    label,
    encode(pass) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(x, y, z);
    },
  };
}

/** Encodes ops in order in one compute pass and submits them as one command buffer. */
export function submitOps(ctx: GpuContext, ops: readonly Command[], label = 'ops'): void {
  const encoder = ctx.device.createCommandEncoder({ label });
  encodeCommands(encoder, ops, label);
  ctx.device.queue.submit([encoder.finish()]);
}

/** Zeroes a buffer between kernels (outside a compute pass). */
export interface ClearCommand {
  readonly clear: GPUBuffer;
}

/** Copies bytes between buffers between kernels (outside a compute pass). */
export interface CopyCommand {
  readonly copy: {
    from: GPUBuffer;
    fromOffset: number;
    to: GPUBuffer;
    toOffset: number;
    size: number;
  };
}

/** One entry of a recorded step: a kernel launch, a clear, or a copy. */
export type Command = KernelOp | ClearCommand | CopyCommand;

/**
 * Encodes commands in order into one encoder: consecutive kernels share a compute pass, and a
 * clear or copy closes the pass, since those are encoder commands.
 */
export function encodeCommands(
  encoder: GPUCommandEncoder,
  commands: readonly Command[],
  label: string,
): void {
  let pass: GPUComputePassEncoder | null = null;
  for (const c of commands) {
    if ('encode' in c) {
      pass ??= encoder.beginComputePass({ label });
      c.encode(pass);
      continue;
    }
    pass?.end();
    pass = null;
    if ('clear' in c) encoder.clearBuffer(c.clear);
    else
      encoder.copyBufferToBuffer(
        c.copy.from,
        c.copy.fromOffset,
        c.copy.to,
        c.copy.toOffset,
        c.copy.size,
      );
  }
  pass?.end();
}
