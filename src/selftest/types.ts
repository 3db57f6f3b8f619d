import type { GpuContext } from '../gpu/device';
import type { CheckBuffers } from './checkBuffers';
import type { Comparison } from './compare';

/** One kernel checked against its float64 reference at one shape. */
export interface KernelCheck {
  /** The kernel's name as in shaders/ (e.g. 'matmul'). */
  kernel: string;
  /** What is checked, e.g. 'forward A B^T + bias' or 'backward'. */
  variant: string;
  /** The sizes, e.g. 'M=33 N=7 K=129'. */
  shape: string;
  /** The bound each element is held to, and why (from f32 rounding). */
  tolerance: string;
  /** Runs the kernel and its reference; one comparison per output tensor. */
  run(ctx: GpuContext, buffers: CheckBuffers): Promise<Record<string, Comparison>>;
}

export interface CheckResult {
  kernel: string;
  variant: string;
  shape: string;
  tolerance: string;
  pass: boolean;
  /** Largest absolute error over every output. */
  maxAbsError: number;
  /** Largest error relative to its bound (at most 1 passes). */
  worstRatio: number;
  /** The output tensor holding the worst element. */
  worstOutput: string;
  ms: number;
  /** Set when the kernel could not run (compile error, validation error, exception). */
  error?: string;
}
