// The plain data that crosses the worker boundary: no WebGPU object ever reaches the UI thread.
import type { AdapterReport } from '../gpu/device';
import type { CheckResult } from '../selftest/types';

export type { AdapterReport, CheckResult };

/** The outcome of acquiring the GPU in the worker: the adapter, or why there is none. */
export type GpuStatus =
  | { ok: true; adapter: AdapterReport }
  | { ok: false; kind: 'unavailable' | 'limit' | 'other'; message: string };

/** A registered kernel check, as listed before it runs. */
export interface CheckInfo {
  kernel: string;
  variant: string;
  shape: string;
  tolerance: string;
}

/** One matmul benchmark point on the user's GPU; `error` is set when it could not run. */
export interface BenchResult {
  n: number;
  ms: number;
  gflops: number;
  error?: string;
}

export interface DeviceLoss {
  reason: string;
  message: string;
}
