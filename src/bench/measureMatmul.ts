import { createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { matmul } from '../kernels/matmul';
import { Rng } from '../util/rng';
import { gflops, productsPerRepeat, timeOp } from './timing';

// Times our matmul on an n x n x n product of random matrices (the studio's "Check kernels" panel).
export async function measureMatmul(
  ctx: GpuContext,
  n: number,
  repeats = 5,
): Promise<{ n: number; ms: number; gflops: number }> {
  const rng = new Rng(n);
  const a = createStorage(ctx, 'bench:a', rng.normalArray(n * n));
  const b = createStorage(ctx, 'bench:b', rng.normalArray(n * n));
  const out = createStorage(ctx, 'bench:out', n * n);
  try {
    const op = await matmul(ctx, out, a, b, null, { M: n, N: n, K: n });
    const ms = await timeOp(ctx, op, productsPerRepeat(n), repeats);
    return { n, ms, gflops: gflops(n, ms) };
  } finally {
    for (const buffer of [a, b, out]) buffer.destroy();
  }
}
