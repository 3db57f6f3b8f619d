// Path and tile sweep for shaders/matmul.wgsl (node scripts/bench.mjs tune): the launcher's
// constants and its per-adapter path were chosen from this page's figures.
import code from '../../shaders/matmul.wgsl?raw';
import { createStorage } from '../gpu/buffers';
import { createOp } from '../gpu/createOp';
import { acquireGpu } from '../gpu/device';
import { Rng } from '../util/rng';
import { emit, runBench } from './report';
import { gflops, productsPerRepeat, timeOp } from './timing';

// TK only sizes the staged kernel's workgroup memory; the direct one ignores it.
const CONFIGS = [
  { entry: 'matmul', WG_X: 16, WG_Y: 16, RM: 4, TK: 16 },
  { entry: 'matmul', WG_X: 8, WG_Y: 8, RM: 4, TK: 32 },
  { entry: 'matmul_direct', WG_X: 16, WG_Y: 16, RM: 4, TK: 16 },
  { entry: 'matmul_direct', WG_X: 8, WG_Y: 8, RM: 4, TK: 16 },
  { entry: 'matmul_direct', WG_X: 16, WG_Y: 16, RM: 2, TK: 16 },
];
const ROUNDS = 4;

async function main(): Promise<void> {
  const ctx = await acquireGpu();
  const shader = { name: 'matmul', code };
  const n = Number(new URLSearchParams(location.search).get('n') ?? 256);
  const rng = new Rng(n);
  const a = createStorage(ctx, 'a', rng.normalArray(n * n));
  const b = createStorage(ctx, 'b', rng.normalArray(n * n));
  const out = createStorage(ctx, 'out', n * n);
  const cases = CONFIGS.flatMap((c) => [false, true].map((transB) => ({ ...c, transB })));
  const ops = await Promise.all(
    cases.map(({ entry, transB, ...c }) =>
      createOp(ctx, {
        label: entry,
        shader,
        entryPoint: entry,
        constants: { ...c, TRANS_B: Number(transB) },
        params: { u32: [n, n, n, 0, 0, 0] },
        buffers: [out, a, b, a],
        workgroups: [Math.ceil(n / (4 * c.WG_X)), Math.ceil(n / (c.RM * c.WG_Y)), 1],
      }),
    ),
  );
  // Rounds over all cases, keeping each case's best: load from other processes only slows.
  const best = cases.map(() => Number.POSITIVE_INFINITY);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < cases.length; i++) {
      best[i] = Math.min(best[i], await timeOp(ctx, ops[i], productsPerRepeat(n), 1));
    }
  }
  for (const [i, c] of cases.entries()) emit({ n, ...c, ms: best[i], gflops: gflops(n, best[i]) });
  for (const buffer of [a, b, out]) buffer.destroy();
}

runBench(main);
