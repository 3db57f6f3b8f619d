import type { GpuContext } from '../gpu/device';
import { type KernelOp, submitOps } from '../gpu/ops';

export function median(values: readonly number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Milliseconds per launch of `op`: after one warm-up launch (pipeline compilation, first-touch
 * allocation), the median over `repeats` of `perRepeat` back-to-back launches in one command
 * buffer, each repeat ended by waiting for the queue to drain.
 */
export async function timeOp(
  ctx: GpuContext,
  op: KernelOp,
  perRepeat: number,
  repeats: number,
): Promise<number> {
  submitOps(ctx, [op], 'warm-up');
  await ctx.device.queue.onSubmittedWorkDone();
  const times: number[] = [];
  const ops = Array.from({ length: perRepeat }, () => op);
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    submitOps(ctx, ops, op.label);
    await ctx.device.queue.onSubmittedWorkDone();
    times.push((performance.now() - t0) / perRepeat);
  }
  return median(times);
}

/** Back-to-back products per timed repeat: about 2^25 multiply-adds (a few hundred ms here). */
export function productsPerRepeat(n: number): number {
  return Math.max(1, Math.round(2 ** 25 / n ** 3));
}

/** GFLOP/s of an n x n x n product (2 n^3 flops) that took `ms`. */
export function gflops(n: number, ms: number): number {
  return (2 * n ** 3) / (ms * 1e6);
}
