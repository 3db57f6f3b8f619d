import type { GpuContext } from '../gpu/device';
import { CheckBuffers } from './checkBuffers';
import type { CheckResult, KernelCheck } from './types';

/**
 * Runs one check inside validation and out-of-memory error scopes, so a dispatch the device
 * dropped (e.g. too many storage buffers) fails the check instead of passing on stale zeros.
 */
export async function runCheck(ctx: GpuContext, check: KernelCheck): Promise<CheckResult> {
  const { kernel, variant, shape, tolerance } = check;
  const buffers = new CheckBuffers(ctx);
  const t0 = performance.now();
  ctx.device.pushErrorScope('validation');
  ctx.device.pushErrorScope('out-of-memory');
  let outputs: Awaited<ReturnType<KernelCheck['run']>> = {};
  let error: string | undefined;
  try {
    outputs = await check.run(ctx, buffers);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const oom = await ctx.device.popErrorScope();
  const validation = await ctx.device.popErrorScope();
  buffers.destroy();
  const gpuError = validation ?? oom;
  if (gpuError && !error)
    error = `WebGPU ${validation ? 'validation' : 'out-of-memory'} error: ${gpuError.message}`;

  let maxAbsError = 0;
  let worstRatio = 0;
  let worstOutput = '';
  let pass = error === undefined && Object.keys(outputs).length > 0;
  for (const [name, c] of Object.entries(outputs)) {
    maxAbsError = Math.max(maxAbsError, c.maxAbsError);
    if (!(c.worstRatio <= worstRatio)) {
      worstRatio = c.worstRatio;
      worstOutput = name;
    }
    pass &&= c.pass;
  }
  const ms = performance.now() - t0;
  return {
    kernel,
    variant,
    shape,
    tolerance,
    pass,
    maxAbsError,
    worstRatio,
    worstOutput,
    ms,
    error,
  };
}
