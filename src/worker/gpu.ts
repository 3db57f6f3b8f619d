// The worker's GPU: acquired once, lost with its device; the kernel checks and the matmul bench.
import { measureMatmul } from '../bench/measureMatmul';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { GpuLimitError, GpuUnavailableError } from '../gpu/errors';
import { allChecks } from '../selftest/registry';
import { runCheck } from '../selftest/runCheck';
import { errorMessage } from './errorMessage';
import type { BenchResult, CheckInfo, CheckResult, DeviceLoss, GpuStatus } from './protocol';

let ctx: GpuContext | undefined;
/** Who hears about a device loss (the page's callback from acquire). */
let onDeviceLost: ((loss: DeviceLoss) => void) | undefined;

export function requireGpu(): GpuContext {
  if (!ctx)
    throw new Error('The GPU is not ready: acquire it first (or reload after a device loss).');
  return ctx;
}

/** After a device loss: a new device, whose loss the page's callback hears about as before. */
export function reacquire(): Promise<GpuStatus> {
  ctx = undefined;
  return gpuApi.acquire(onDeviceLost ?? (() => {}));
}

export const gpuApi = {
  /** Acquires the GPU once; `onLost` hears about a later device loss. */
  async acquire(onLost: (loss: DeviceLoss) => void): Promise<GpuStatus> {
    if (ctx) return { ok: true, adapter: ctx.adapter };
    onDeviceLost = onLost;
    try {
      ctx = await acquireGpu({
        onDeviceLost: (info) => {
          ctx = undefined;
          onDeviceLost?.({ reason: info.reason, message: info.message });
        },
      });
      return { ok: true, adapter: ctx.adapter };
    } catch (e) {
      const kind =
        e instanceof GpuUnavailableError
          ? 'unavailable'
          : e instanceof GpuLimitError
            ? 'limit'
            : 'other';
      return { ok: false, kind, message: errorMessage(e) };
    }
  },

  /** The registered checks, in the order `checkKernels` runs them. */
  listChecks(): CheckInfo[] {
    return allChecks.map(({ kernel, variant, shape, tolerance }) => ({
      kernel,
      variant,
      shape,
      tolerance,
    }));
  },

  /** Runs every check in order, handing each result to `onResult` as soon as it is known. */
  async checkKernels(onResult: (index: number, result: CheckResult) => void): Promise<void> {
    const gpu = requireGpu();
    gpu.takeUncapturedErrors();
    for (const [index, check] of allChecks.entries()) {
      const result = await runCheck(gpu, check);
      // An error no scope caught (e.g. a dropped dispatch) still belongs to this check.
      const stray = gpu.takeUncapturedErrors().map((e) => e.message);
      if (stray.length > 0 && !result.error) {
        result.error = `Uncaptured WebGPU error: ${stray.join('; ')}`;
        result.pass = false;
      }
      onResult(index, result);
    }
  },

  /** Times the matmul kernel at each size in turn, handing each point to `onResult`. */
  async benchMatmul(sizes: number[], onResult: (result: BenchResult) => void): Promise<void> {
    const gpu = requireGpu();
    for (const n of sizes) {
      try {
        onResult(await measureMatmul(gpu, n));
      } catch (e) {
        onResult({ n, ms: Number.NaN, gflops: Number.NaN, error: errorMessage(e) });
      }
    }
  },

  /** Destroys the device, as a driver reset would: lets tests exercise the device-lost path. */
  loseDevice(): void {
    ctx?.device.destroy();
  },

  /** Throws outside any call, as a bug would: lets tests exercise the worker-crash path. */
  crash(): void {
    setTimeout(() => {
      throw new Error('The studio worker crashed (forced by a test).');
    });
  },
};
