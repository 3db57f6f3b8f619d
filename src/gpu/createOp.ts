import { type BufferSlice, bindSlice } from './buffers';
import type { GpuContext } from './device';
import { dispatchOp, type KernelOp } from './ops';
import type { PipelineConstants, ShaderSource } from './pipelineCache';
import { createUniform } from './uniforms';

export interface OpSpec {
  label: string;
  shader: ShaderSource;
  entryPoint?: string;
  constants?: PipelineConstants;
  /** The kernel's uniform struct (u32 fields, then f32 fields), bound at binding 0. */
  params: { u32: readonly number[]; f32?: readonly number[] };
  /** Storage buffers, bound at 1, 2, ... in this order. */
  buffers: readonly (BufferSlice | GPUBuffer)[];
  workgroups: readonly [number, number?, number?];
}

export interface PreparedOp extends KernelOp {
  /** The uniform buffer, for kernels whose parameters change between steps (writeUniform). */
  readonly params: GPUBuffer;
}

/**
 * Builds a launch once: pipeline from the cache, uniform buffer, bind group. The convention
 * every shader follows: `var<uniform> p` at binding 0, storage buffers from binding 1.
 */
export async function createOp(ctx: GpuContext, spec: OpSpec): Promise<PreparedOp> {
  const pipeline = await ctx.pipelines.get(spec.shader, spec.entryPoint, spec.constants);
  const params = createUniform(ctx, `${spec.label}:params`, spec.params.u32, spec.params.f32);
  const bindGroup = ctx.device.createBindGroup({
    label: spec.label,
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: params } },
      ...spec.buffers.map((b, i) => bindSlice(i + 1, b)),
    ],
  });
  return { ...dispatchOp(spec.label, pipeline, bindGroup, spec.workgroups), params };
}
