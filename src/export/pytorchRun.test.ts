import { describe, expect, it } from 'vitest';
import type { CheckpointParts } from '../checkpoint/format';
import { BatchSampler, Blocks } from '../data/blocks';
import { tokenStream } from '../data/dataset';
import { byteTokenizer } from '../data/tokenizer';
import type { ScheduleExport } from '../lfr/export';
import { Schedule } from '../lfr/schedule';
import type { GPTConfig } from '../model/config';
import { buildParamTable, tensor } from '../model/params';
import { testTrainConfig } from '../test/testData';
import { learningRateAt } from '../train/lrSchedule';
import { Rng } from '../util/rng';
import { exportHfGpt2 } from './hfGpt2';
import { pytorchRunFiles, type RunFile } from './pytorchRun';
import { readSafetensors, tensorFloats } from './safetensors';

const model: GPTConfig = { blockSize: 4, vocabSize: 256, nLayer: 1, nHead: 2, nEmbd: 8 };
const train = testTrainConfig({ batchSize: 2, maxSteps: 20, warmupSteps: 3, seed: 5 });
const table = buildParamTable(model);
const tokens = Uint8Array.from(new Rng(9).uniformArray(40 * 4 + 1, 0, 255), Math.floor);
tokens[tokens.length - 1] = 255;
const stream = tokenStream('train', tokens, byteTokenizer);
const data = { train: stream, tokenizer: byteTokenizer, shipped: null };
const rng = new Rng(1);
const n = table.totalLength;

function parts(over: Partial<CheckpointParts> = {}): CheckpointParts {
  const sampler = new BatchSampler(new Blocks(stream, 4), 2, train.seed);
  const ids = new Uint32Array(2);
  for (let s = 0; s < 3; s++) sampler.next(ids, new Uint32Array(8), new Uint32Array(8));
  return {
    settings: {
      preset: null,
      tokenizer: 'byte',
      model,
      train,
      data: { choice: 'user', name: 'notes.txt', trainTokens: tokens.length, valTokens: 0 },
    },
    step: 3,
    schedule: { step: 3, lr: learningRateAt(3, train) },
    sampler: sampler.state,
    rng: {},
    lfr: null,
    history: { train: [], val: [] },
    savedAt: '2026-01-01T00:00:00.000Z',
    params: rng.normalArray(n),
    m: rng.normalArray(n),
    v: rng.uniformArray(n, 0, 1),
    ...over,
  };
}

const file = (files: RunFile[], name: string) => files.find((f) => f.name === name)!.bytes;
const jsonOf = <T>(files: RunFile[], name: string) =>
  JSON.parse(new TextDecoder().decode(file(files, name))) as T;

describe('pytorchRunFiles', () => {
  it('writes the model, the AdamW moments in its names and layout, the settings and the tokens', async () => {
    const p = parts();
    const files = await pytorchRunFiles(p, data);
    expect(files.map((f) => f.name)).toEqual([
      'model.safetensors',
      'config.json',
      'optimizer.safetensors',
      'training.json',
      'train.bin',
    ]);
    expect(file(files, 'model.safetensors')).toEqual(exportHfGpt2(p.params, model).safetensors);
    expect(file(files, 'train.bin')).toEqual(tokens);
    const opt = readSafetensors(file(files, 'optimizer.safetensors'));
    expect(opt.metadata.step).toBe('3');
    // Conv1D weights are (in, out) in HF's layout: element (o, i) of the studio's m is [i][o].
    const qkv = tensor(table, 'h.0.attn.c_attn.weight');
    const m = opt.tensors.get('exp_avg.h.0.attn.c_attn.weight')!;
    expect(m.shape).toEqual([8, 24]);
    expect(tensorFloats('m', m)[3 * 24 + 17]).toBe(p.m[qkv.offset + 17 * 8 + 3]);
    const wte = tensor(table, 'wte');
    expect(tensorFloats('v', opt.tensors.get('exp_avg_sq.wte.weight')!)).toEqual(
      p.v.subarray(wte.offset, wte.offset + wte.length),
    );
    const t = jsonOf<{
      step: number;
      lrSchedule: { nextLr: number };
      adamw: { decay: string[]; noDecay: string[] };
      order: { kind: string; epoch: number; cursor: number };
      data: { tokens: { sha256: string; dtype: string } };
    }>(files, 'training.json');
    expect(t.step).toBe(3);
    expect(t.lrSchedule.nextLr).toBe(learningRateAt(3, train));
    expect(t.adamw.decay).toEqual([
      'wte.weight',
      'wpe.weight',
      'h.0.attn.c_attn.weight',
      'h.0.attn.c_proj.weight',
      'h.0.mlp.c_fc.weight',
      'h.0.mlp.c_proj.weight',
    ]);
    expect(t.adamw.noDecay).toContain('h.0.ln_1.weight');
    expect(t.order).toMatchObject({ kind: 'sampler', epoch: 0, cursor: 6 });
    expect(t.data.tokens.dtype).toBe('uint8');
  });

  it("writes an LFR run's schedule at the checkpoint's position, its decided steps included", async () => {
    const settings = { p1: 1, s1: 50, p2: 1, p3: 1, s2: 50, p4: 1, reps: 1 };
    const order = { batchSize: 2, accumSteps: 1, seed: train.seed };
    const played = Schedule.lfr(new Blocks(stream, 4), settings, order);
    const ids = new Uint32Array(2);
    const buf = new Uint32Array(8);
    const trained: number[][] = [];
    // Learn (20 steps) and its cut observed, then 2 Focus steps: the checkpoint is at step 22.
    for (let s = 0; s < 22; s++) {
      played.next(ids, buf, buf);
      trained.push([...ids]);
      played.observe({
        step: s,
        blockIds: ids,
        sequenceLosses: Float32Array.from(ids, (id) => (id * 7) % 11),
      });
    }
    const plan = { role: 'lfr' as const, lfr: settings, maxBlocks: 0 };
    const files = await pytorchRunFiles(
      parts({ step: 22, lfr: { plan, state: played.saveState() } }),
      data,
    );
    const schedule = jsonOf<ScheduleExport>(files, 'schedule.json');
    expect(schedule.steps.slice(0, 22)).toEqual(trained);
    // The first Focus is decided, Review is not cut: steps go on to the second Focus's cut.
    expect(schedule.steps).toHaveLength(schedule.phases[2].endStep);
    played.next(ids, buf, buf);
    expect(schedule.steps[22]).toEqual([...ids]);
    expect(jsonOf<{ order: { kind: string } }>(files, 'training.json').order.kind).toBe('schedule');
  });

  it("refuses data that is not the run's, and an LFR payload without its plan", async () => {
    await expect(
      pytorchRunFiles(parts(), {
        ...data,
        train: tokenStream('train', Uint8Array.of(...tokens.subarray(0, 40), 255), byteTokenizer),
      }),
    ).rejects.toThrow(/trained on 161 tokens of notes.txt, but the data given has 41/);
    await expect(
      pytorchRunFiles(
        parts({
          lfr: {
            plan: null,
            state: Schedule.lfr(
              new Blocks(stream, 4),
              { p1: 1, s1: 50, p2: 1, p3: 1, s2: 50, p4: 1, reps: 1 },
              { batchSize: 2, accumSteps: 1, seed: train.seed },
            ).saveState(),
          },
        }),
        data,
      ),
    ).rejects.toThrow(/data schedule without its plan/);
  });
});
