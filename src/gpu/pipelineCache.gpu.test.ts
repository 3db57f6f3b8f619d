import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireGpu, type GpuContext } from './device';
import { ShaderCompileError } from './errors';

const good = {
  name: 'cache_test',
  code: `@group(0) @binding(0) var<storage, read_write> x: array<f32>;
override WG: u32 = 64;
@compute @workgroup_size(WG) fn a(@builtin(global_invocation_id) g: vec3u) { x[g.x] = 1.0; }
@compute @workgroup_size(WG) fn b(@builtin(global_invocation_id) g: vec3u) { x[g.x] = 2.0; }`,
};

describe('PipelineCache', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
  });
  afterAll(() => ctx.device.destroy());

  it('builds each (shader, entry point, constants) once and reuses it', async () => {
    const p1 = await ctx.pipelines.get(good, 'a', { WG: 64 });
    const p2 = await ctx.pipelines.get(good, 'a', { WG: 64 });
    const p3 = await ctx.pipelines.get(good, 'b', { WG: 64 });
    const p4 = await ctx.pipelines.get(good, 'a', { WG: 32 });
    expect(p2).toBe(p1);
    expect(p3).not.toBe(p1);
    expect(p4).not.toBe(p1);
  });

  it('reports a WGSL compile error with the kernel name and the compiler message', async () => {
    const bad = {
      name: 'broken_kernel',
      code: '@compute @workgroup_size(1) fn main() { let x = undefined_thing; }',
    };
    const err = await ctx.pipelines.get(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShaderCompileError);
    expect((err as ShaderCompileError).kernel).toBe('broken_kernel');
    expect((err as Error).message).toMatch(/undefined_thing/);
  });
});
