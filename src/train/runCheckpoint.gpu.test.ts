import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../checkpoint/format';
import { BatchSampler } from '../data/blocks';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { initParams } from '../model/init';
import { buildParamTable } from '../model/params';
import { byteBlocks, TEST_MODEL, testTrainConfig } from '../test/testData';
import { captureCheckpoint, restoreSampler, restoreTrainer } from './runCheckpoint';
import { Trainer } from './trainer';

const model = TEST_MODEL;
const train = testTrainConfig({ gradAccumSteps: 2, maxSteps: 6, seed: 11 });
// 10 blocks of 9 tokens: 8 per step, so the 6 steps cross epochs and the save lands mid-epoch.
const blocks = byteBlocks('the quick brown fox jumps over the lazy dog. '.repeat(2));
const bits = (f: Float32Array) => new Uint32Array(f.buffer, f.byteOffset, f.length);

describe('resume from a checkpoint', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
  });
  afterAll(() => ctx.device.destroy());

  async function steps(trainer: Trainer, sampler: BatchSampler, k: number): Promise<number[]> {
    const pending = [];
    for (let s = 0; s < k; s++) pending.push((await trainer.queueStep(sampler)).result);
    return (await Promise.all(pending)).map((r) => r.loss);
  }

  it('continues bit-identically: 3 steps, save, load into a new trainer, 3 steps = 6 steps', async () => {
    const init = initParams(model, buildParamTable(model), train.seed);
    const straight = await Trainer.create(ctx, model, train, init);
    const straightLosses = await steps(straight, new BatchSampler(blocks, 4, train.seed), 6);
    const straightParams = await straight.readParams();
    straight.destroy();

    const first = await Trainer.create(ctx, model, train, init);
    const sampler = new BatchSampler(blocks, 4, train.seed);
    const before = await steps(first, sampler, 3);
    const bytes = await captureCheckpoint(first, {
      settings: {
        preset: null,
        tokenizer: 'byte',
        model,
        train,
        data: {
          choice: 'user',
          name: 'fox.txt',
          trainTokens: blocks.stream.tokens.length,
          valTokens: 0,
        },
      },
      sampler,
      history: {
        train: before.map((loss, i) => ({ step: i + 1, loss, lr: 0, gradNorm: 0 })),
        val: [],
      },
    });
    first.destroy();

    const parts = decodeCheckpoint(bytes);
    expect(parts.step).toBe(3);
    expect(parts.sampler).toEqual({ seed: train.seed, epoch: 2, cursor: 4, blocks: 10 });
    const resumed = await restoreTrainer(ctx, parts);
    const after = await steps(resumed, restoreSampler(blocks, parts), 3);
    const resumedParams = await resumed.readParams();
    resumed.destroy();

    expect(before).toEqual(straightLosses.slice(0, 3));
    expect(after).toEqual(straightLosses.slice(3));
    expect(bits(resumedParams)).toEqual(bits(straightParams));
    expect(ctx.takeUncapturedErrors().map((e) => e.message)).toEqual([]);
  });
});
