import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchSampler } from '../data/blocks';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { presetById } from '../model/config';
import { initParams } from '../model/init';
import { buildParamTable } from '../model/params';
import { referenceGpt } from '../reference/gpt';
import { normwiseError } from '../selftest/compare';
import { expectTrainsLikeOurs, ourSteps, textBlocks, twinSteps } from '../test/twinTraining';
import { Rng } from '../util/rng';
import { initJaxWebGpu, JaxGpt } from './jaxGpt';

const preset = presetById('tiny');
const config = preset.model;
const train = { ...preset.train, batchSize: 2 };
const B = train.batchSize;
const T = config.blockSize;
const table = buildParamTable(config);
const blocks = textBlocks(T);

/**
 * Loss and gradients against the float64 reference, per tensor, normwise:
 * ||jax - ref|| <= REL ||ref||. Each value passes through 2 L + 2 = 6 matmul / LayerNorm /
 * attention stages. A length-K f32 sum's rounding error grows in norm as sqrt(K) x 2^-24
 * (independent roundings), K up to 4C = V = 256 here: 16 x 6e-8 ~ 1e-6 per stage, amplified by
 * LayerNorm / softmax conditioning (rstd up to ~10 with the perturbed weights below):
 * 6 x 1e-6 x 10 ~ 6e-5. Our kernels are held to the same 1e-4 (src/model/gpt.gpu.test.ts).
 */
const REL = 1e-4;

function batch(): { inputs: Uint32Array; targets: Uint32Array } {
  const inputs = new Uint32Array(B * T);
  const targets = new Uint32Array(B * T);
  new BatchSampler(blocks, B, train.seed).next(new Uint32Array(B), inputs, targets);
  return { inputs, targets };
}

describe('JaxGpt', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
    await initJaxWebGpu();
  });
  afterAll(() => ctx.device.destroy());

  it('matches the float64 reference in loss and every parameter gradient on one batch', async () => {
    const params = initParams(config, table, train.seed);
    // Weights larger than GPT-2's 0.02, so every gradient is well above rounding.
    const rng = new Rng(7);
    for (const t of table.tensors) {
      for (let i = t.offset; i < t.offset + t.length; i++) params[i] += 0.1 * rng.normal();
    }
    const { inputs, targets } = batch();
    const model = new JaxGpt(config, train, params);
    const jax = await model.lossAndGrads(inputs, targets);
    model.dispose();
    const ref = referenceGpt(config, params, inputs, targets, B, T, table);
    expect(Math.abs(jax.loss - ref.meanLoss)).toBeLessThan(REL * ref.meanLoss);
    for (const t of table.tensors) {
      const e = normwiseError(jax.grads, ref.grads, t.offset, t.offset + t.length);
      expect(e, `gradient of ${t.name}`).toBeLessThan(REL);
    }
  });

  it('trains like our engine from the same parameters and batches', async () => {
    const init = initParams(config, table, train.seed);
    const ours = await ourSteps(ctx, config, train, init, blocks);

    const model = new JaxGpt(config, train, init);
    const theirs = await twinSteps(config, train, blocks, async (inputs, targets) => {
      const { loss, gradNorm } = model.trainStep(inputs, targets);
      // data() reads and releases the array.
      return { loss: (await loss.data())[0], gradNorm: (await gradNorm.data())[0] };
    });
    model.dispose();

    expectTrainsLikeOurs(ours, theirs);
  });
});
