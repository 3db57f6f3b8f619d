// Tile sweep for shaders/attention.wgsl (node scripts/bench.mjs tuneAttention) at the tiny and
// small presets' attention shapes: invocations per workgroup (rows) against keys or queries
// staged per step. Cases alternate within each round; each figure is the median over rounds, so
// load from other processes hits every case alike. The launcher's attentionTiles states the pick.
// Each figure is also given against the same block's qkv layer (forward, dinp, dweight) timed in
// the same rounds: the attention goal is at most 2.
import { createStorage } from '../gpu/buffers';
import { acquireGpu } from '../gpu/device';
import {
  type AttentionTiles,
  attentionBackward,
  attentionForward,
  attentionSavedLength,
  attentionTiles,
} from '../kernels/attention';
import { matmul } from '../kernels/matmul';
import { Rng } from '../util/rng';
import { emit, runBench } from './report';
import { median, timeOp } from './timing';

const ROUNDS = 5;
const SHAPES = [
  { preset: 'tiny', B: 8, T: 64, C: 64, NH: 4 },
  { preset: 'small', B: 8, T: 128, C: 128, NH: 4 },
];
const roundDown4 = (n: number) => Math.max(4, Math.floor(n / 4) * 4);

// The launcher's pick for this adapter; on a CPU adapter also the GPU pick (64 invocations,
// stages as long as memory allows), twice the rows and invocations, and half and twice the stage
// (a 4-row tile's stages stay far inside workgroup memory); on a GPU half the stages.
function variants(architecture: string, T: number, hs: number): AttentionTiles[] {
  const pick = attentionTiles(architecture, T, hs);
  const withStage = (stage: number, pairStage = stage) => ({ ...pick, stage, pairStage });
  if (architecture !== 'swiftshader') {
    return [pick, withStage(roundDown4(pick.stage / 2), roundDown4(pick.pairStage / 2))];
  }
  return [
    pick,
    attentionTiles('gpu', T, hs),
    { ...pick, rows: 2 * pick.rows, invocations: 2 * pick.invocations },
    withStage(pick.stage / 2),
    withStage(pick.stage * 2),
  ];
}

async function main(): Promise<void> {
  const ctx = await acquireGpu();
  const rng = new Rng(7);
  for (const { preset, B, T, C, NH } of SHAPES) {
    const n = attentionSavedLength(B, T, NH);
    const make = (label: string, length: number) =>
      createStorage(
        ctx,
        label,
        rng.normalArray(length).map((x) => x * 0.5),
      );
    const qkv = make('qkv', B * T * 3 * C);
    const out = make('out', B * T * C);
    const dout = make('dout', B * T * C);
    const dqkv = make('dqkv', B * T * 3 * C);
    const saved = createStorage(ctx, 'saved', n);
    const delta = createStorage(ctx, 'delta', n);
    const cases = await Promise.all(
      variants(ctx.adapter.architecture, T, C / NH).map(async (tiles) => ({
        tiles,
        forward: await attentionForward(ctx, out, saved, qkv, B, T, C, NH, tiles),
        backward: await attentionBackward(
          ctx,
          dqkv,
          dout,
          qkv,
          out,
          saved,
          delta,
          B,
          T,
          C,
          NH,
          tiles,
        ),
      })),
    );
    // The same block's qkv layer: forward, dinp and dweight, timed in the same rounds.
    const BT = B * T;
    const ln = make('ln', BT * C);
    const w = make('w', 3 * C * C);
    const bias = make('bias', 3 * C);
    const dln = make('dln', BT * C);
    const dw = make('dw', 3 * C * C);
    const qkvOps = await Promise.all([
      matmul(ctx, qkv, ln, w, bias, { M: BT, N: 3 * C, K: C, transB: true }),
      matmul(ctx, dln, dqkv, w, null, { M: BT, N: C, K: 3 * C }),
      matmul(ctx, dw, dqkv, ln, null, { M: 3 * C, N: C, K: BT, transA: true, accumulate: true }),
    ]);
    const qkvTimes: number[] = [];
    const times = cases.map(() => ({ forward: [] as number[], backward: [] as number[] }));
    for (let r = 0; r < ROUNDS; r++) {
      let layer = 0;
      for (const op of qkvOps) layer += await timeOp(ctx, op, 2, 1);
      qkvTimes.push(layer);
      for (const [i, c] of cases.entries()) {
        times[i].forward.push(await timeOp(ctx, c.forward, 2, 1));
        times[i].backward.push(await timeOp(ctx, c.backward, 2, 1));
      }
    }
    for (const [i, { tiles }] of cases.entries()) {
      const forward = median(times[i].forward);
      const backward = median(times[i].backward);
      const ratio = (forward + backward) / median(qkvTimes);
      emit({
        bench: 'attention-tiles',
        preset,
        ...tiles,
        forward,
        backward,
        total: forward + backward,
        vsQkvLayer: ratio,
      });
    }
    emit({ bench: 'qkv-layer', preset, ms: median(qkvTimes) });
    for (const b of [qkv, out, dout, dqkv, saved, delta, ln, w, bias, dln, dw]) b.destroy();
  }
}

runBench(main);
