// Entry-point and tile sweep for shaders/matmul.wgsl (node scripts/bench.mjs tune) on the GPT
// output head's three products, with the vocabulary scaled down (?v=, default 4099) so a run
// stays short on SwiftShader. Cases alternate within each round; each figure is the median over
// rounds, so load from other processes hits every case alike.
import code from '../../shaders/matmul.wgsl?raw';
import { createStorage } from '../gpu/buffers';
import { createOp } from '../gpu/createOp';
import { acquireGpu } from '../gpu/device';
import { Rng } from '../util/rng';
import { emit, runBench } from './report';
import { median, timeOp } from './timing';

const CONFIGS = [{ entry: 'matmul_direct', WG_X: 8, WG_Y: 8, RM: 8, CN: 8 }];
const ROUNDS = 7;
const C = 128;
const BT = 1024;

async function main(): Promise<void> {
  const ctx = await acquireGpu();
  const shader = { name: 'matmul', code };
  const V = Number(new URLSearchParams(location.search).get('v') ?? 4099);
  const rng = new Rng(V);
  const ln = createStorage(ctx, 'ln', rng.normalArray(BT * C));
  const wte = createStorage(ctx, 'wte', rng.normalArray(V * C));
  const logits = createStorage(ctx, 'logits', rng.normalArray(BT * V));
  const dwte = createStorage(ctx, 'dwte', V * C);
  const dln = createStorage(ctx, 'dln', BT * C);
  // logits (BT,V) = ln (BT,C) · wte^T; dwte (V,C) += dlogits^T · ln; dln (BT,C) = dlogits · wte
  const shapes = [
    { name: 'nt', M: BT, N: V, K: C, tA: 0, tB: 1, acc: 0, bufs: [logits, ln, wte] },
    { name: 'tn', M: V, N: C, K: BT, tA: 1, tB: 0, acc: 1, bufs: [dwte, logits, ln] },
    { name: 'nn', M: BT, N: C, K: V, tA: 0, tB: 0, acc: 0, bufs: [dln, logits, wte] },
  ];
  const cases = shapes.flatMap((s) => CONFIGS.map((c) => ({ s, c })));
  const ops = await Promise.all(
    cases.map(({ s, c: { entry, ...c } }) =>
      createOp(ctx, {
        label: `${s.name}_${entry}`,
        shader,
        entryPoint: entry,
        constants: { ...c, TRANS_A: s.tA, TRANS_B: s.tB, ACCUMULATE: s.acc },
        params: { u32: [s.M, s.N, s.K, 0, 0, 0] },
        buffers: [...s.bufs, s.bufs[1]],
        workgroups: [Math.ceil(s.N / (c.CN * c.WG_X)), Math.ceil(s.M / (c.RM * c.WG_Y)), 1],
      }),
    ),
  );
  const times = cases.map((): number[] => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < cases.length; i++) times[i].push(await timeOp(ctx, ops[i], 1, 1));
  }
  for (const [i, { s, c }] of cases.entries()) {
    const ms = median(times[i]);
    emit({ shape: s.name, V, ...c, ms, gflops: (2 * s.M * s.N * s.K) / (ms * 1e6) });
  }
  for (const buffer of [ln, wte, logits, dwte, dln]) buffer.destroy();
}

runBench(main);
