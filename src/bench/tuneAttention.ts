// Tile sweep for shaders/attention.wgsl (node scripts/bench.mjs tuneAttention) at the tiny and
// small presets' attention shapes: invocations per workgroup (rows) against keys or queries
// staged per step. Cases alternate within each round; each figure is the median over rounds, so
// load from other processes hits every case alike. The launcher's attentionTiles states the pick.
import { createStorage } from '../gpu/buffers';
import { acquireGpu } from '../gpu/device';
import {
  type AttentionTiles,
  attentionBackward,
  attentionForward,
  attentionSavedLength,
  attentionTiles,
} from '../kernels/attention';
import { Rng } from '../util/rng';
import { emit, runBench } from './report';
import { median, timeOp } from './timing';

const ROUNDS = 5;
const SHAPES = [
  { preset: 'tiny', B: 8, T: 64, C: 64, NH: 4 },
  { preset: 'small', B: 8, T: 128, C: 128, NH: 4 },
];
// The launcher's pick, half as many rows, and shorter stages.
function variants(T: number, hs: number): AttentionTiles[] {
  const pick = attentionTiles('', T, hs);
  const half = attentionTiles('', pick.rows / 2, hs);
  const stages = [8, 16, 32].map((stage) => ({
    ...pick,
    stage,
    pairStage: Math.min(stage, pick.pairStage),
  }));
  return [pick, { ...pick, rows: half.rows }, ...stages];
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
      variants(T, C / NH).map(async (tiles) => ({
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
    const times = cases.map(() => ({ forward: [] as number[], backward: [] as number[] }));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [i, c] of cases.entries()) {
        times[i].forward.push(await timeOp(ctx, c.forward, 2, 1));
        times[i].backward.push(await timeOp(ctx, c.backward, 2, 1));
      }
    }
    for (const [i, { tiles }] of cases.entries()) {
      const forward = median(times[i].forward);
      const backward = median(times[i].backward);
      emit({
        bench: 'attention-tiles',
        preset,
        ...tiles,
        forward,
        backward,
        total: forward + backward,
      });
    }
    for (const b of [qkv, out, dout, dqkv, saved, delta]) b.destroy();
  }
}

runBench(main);
