// The studio's GPU thread: it alone holds WebGPU objects; the UI talks to it through comlink.
import * as Comlink from 'comlink';
import { measureMatmul } from '../bench/measureMatmul';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { GpuLimitError, GpuUnavailableError } from '../gpu/errors';
import { allChecks } from '../selftest/registry';
import { runCheck } from '../selftest/runCheck';
import type { BenchResult, CheckInfo, CheckResult, DeviceLoss, GpuStatus } from './protocol';

let ctx: GpuContext | undefined;

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function requireGpu(): GpuContext {
  if (!ctx)
    throw new Error('The GPU is not ready: acquire it first (or reload after a device loss).');
  return ctx;
}

const api = {
  /** Acquires the GPU once; `onLost` hears about a later device loss. */
  async acquire(onLost: (loss: DeviceLoss) => void): Promise<GpuStatus> {
    if (ctx) return { ok: true, adapter: ctx.adapter };
    try {
      ctx = await acquireGpu({
        onDeviceLost: (info) => {
          ctx = undefined;
          onLost({ reason: info.reason, message: info.message });
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
};

export type StudioApi = typeof api;

Comlink.expose(api);
