import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchSampler } from '../data/blocks';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { packDecayMask } from '../kernels/decayMask';
import type { TrainConfig } from '../model/config';
import { initParams } from '../model/init';
import { buildParamTable } from '../model/params';
import { adamw } from '../reference/adamw';
import { referenceGpt } from '../reference/gpt';
import { gradNorm } from '../reference/gradnorm';
import { byteBlocks, TEST_MODEL, testTrainConfig } from '../test/testData';
import { learningRateAt } from './lrSchedule';
import { type StepResult, Trainer } from './trainer';

const config = TEST_MODEL;
const train = testTrainConfig();
const blocks = byteBlocks('the quick brown fox jumps over the lazy dog. '.repeat(40));
const table = buildParamTable(config);

describe('Trainer', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
  });
  afterAll(() => ctx.device.destroy());

  async function runSteps(
    t: TrainConfig,
    steps: number,
  ): Promise<{ results: StepResult[]; params: Float32Array }> {
    const trainer = await Trainer.create(ctx, config, t, initParams(config, table, t.seed));
    const sampler = new BatchSampler(blocks, t.batchSize, t.seed);
    const pending: Promise<StepResult>[] = [];
    for (let s = 0; s < steps; s++) pending.push((await trainer.queueStep(sampler)).result);
    const results = await Promise.all(pending);
    const params = await trainer.readParams();
    trainer.destroy();
    expect(ctx.takeUncapturedErrors().map((e) => e.message)).toEqual([]);
    return { results, params };
  }

  it('takes one step equal to the float64 reference gradient, clipping and AdamW', async () => {
    const { results, params } = await runSteps(train, 1);
    const init = Float64Array.from(initParams(config, table, train.seed));
    const ids = new Uint32Array(train.batchSize);
    const BT = train.batchSize * config.blockSize;
    const inputs = new Uint32Array(BT);
    const targets = new Uint32Array(BT);
    new BatchSampler(blocks, train.batchSize, train.seed).next(ids, inputs, targets);
    expect([...results[0].blockIds]).toEqual([...ids]);
    const ref = referenceGpt(
      config,
      init,
      inputs,
      targets,
      train.batchSize,
      config.blockSize,
      table,
    );
    const norm = new Float64Array(2);
    gradNorm(norm, ref.grads, train.gradClip);
    const n = table.totalLength;
    const mask = packDecayMask(
      n,
      table.tensors.filter((t) => t.decay),
    );
    const hp = {
      lr: learningRateAt(0, train),
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      weightDecay: 0.1,
      step: 1,
    };
    adamw(init, new Float64Array(n), new Float64Array(n), ref.grads, norm, mask, hp);
    // Tolerance: the loss as in the GPT test (1e-4 relative). Each parameter moves by at most
    // lr (Adam's first step is lr * sign(g) where |g| >> eps), so the update is held to lr/100
    // plus f32 rounding of the parameter: a sign flip of any element's step would exceed it.
    expect(Math.abs(results[0].loss - ref.meanLoss)).toBeLessThan(1e-4 * ref.meanLoss);
    expect(Math.abs(results[0].gradNorm - norm[0])).toBeLessThan(1e-4 * norm[0]);
    let worst = 0;
    for (let i = 0; i < n; i++)
      worst = Math.max(worst, Math.abs(params[i] - init[i]) - 2 ** -23 * Math.abs(init[i]));
    expect(worst).toBeLessThan(hp.lr / 100);
  });

  it('gives bit-identical losses for the same seed and settings', async () => {
    const a = await runSteps(train, 4);
    const b = await runSteps(train, 4);
    expect(b.results.map((r) => r.loss)).toEqual(a.results.map((r) => r.loss));
    expect(new Uint32Array(b.params.buffer)).toEqual(new Uint32Array(a.params.buffer));
  });

  it('learns: the loss on a repeated sentence falls by more than half in 40 steps', async () => {
    const { results } = await runSteps(train, 40);
    const first = results[0].loss;
    const last = results.slice(-5).reduce((s, r) => s + r.loss, 0) / 5;
    expect(first).toBeGreaterThan(5);
    expect(last).toBeLessThan(first / 2);
  });

  it('accumulates gradients: 2 micro-batches of 2 step like one batch of 4', async () => {
    const whole = await runSteps({ ...train, batchSize: 4 }, 1);
    const split = await runSteps({ ...train, batchSize: 2, gradAccumSteps: 2 }, 1);
    expect([...split.results[0].blockIds]).toEqual([...whole.results[0].blockIds]);
    expect(Math.abs(split.results[0].loss - whole.results[0].loss)).toBeLessThan(
      1e-5 * whole.results[0].loss,
    );
    let worst = 0;
    for (let i = 0; i < whole.params.length; i++)
      worst = Math.max(worst, Math.abs(split.params[i] - whole.params[i]));
    expect(worst).toBeLessThan(train.learningRate / 100);
  });
});
