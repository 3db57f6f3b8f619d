import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchSampler, Blocks } from '../data/blocks';
import { tokenStream } from '../data/dataset';
import { byteTokenizer } from '../data/tokenizer';
import { acquireGpu, type GpuContext } from '../gpu/device';
import type { GPTConfig, TrainConfig } from '../model/config';
import { initParams } from '../model/init';
import { buildParamTable } from '../model/params';
import { Trainer } from '../train/trainer';
import { decodeCheckpoint } from './format';
import { captureCheckpoint, restoreSampler, restoreTrainer } from './run';

const model: GPTConfig = { blockSize: 9, vocabSize: 256, nLayer: 2, nHead: 2, nEmbd: 16 };
const train: TrainConfig = {
  batchSize: 4,
  gradAccumSteps: 2,
  maxSteps: 6,
  learningRate: 1e-2,
  minLearningRate: 1e-3,
  warmupSteps: 2,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  gradClip: 1.0,
  seed: 11,
  evalInterval: 0,
  evalBatches: 1,
};
// 10 blocks of 9 tokens: 8 per step, so the 6 steps cross epochs and the save lands mid-epoch.
const text = 'the quick brown fox jumps over the lazy dog. '.repeat(2);
const stream = tokenStream(
  'train',
  Uint32Array.from([...byteTokenizer.encode(text), byteTokenizer.eosId]),
  byteTokenizer,
);
const blocks = new Blocks(stream, model.blockSize);
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
        data: { choice: 'user', name: 'fox.txt', trainTokens: stream.tokens.length, valTokens: 0 },
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
