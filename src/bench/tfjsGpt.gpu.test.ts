import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { presetById } from '../model/config';
import { initParams } from '../model/init';
import { buildParamTable } from '../model/params';
import { expectTrainsLikeOurs, ourSteps, textBlocks, twinSteps } from '../test/twinTraining';
import { TfjsGpt } from './tfjsGpt';

const preset = presetById('tiny');
const config = preset.model;
const train = { ...preset.train, batchSize: 2 };
const blocks = textBlocks(config.blockSize);

describe('TfjsGpt', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
    await tf.setBackend('webgpu');
    await tf.ready();
  });
  afterAll(() => ctx.device.destroy());

  it('trains like our engine from the same parameters and batches, without leaking tensors', async () => {
    const init = initParams(config, buildParamTable(config), train.seed);
    const ours = await ourSteps(ctx, config, train, init, blocks);

    const model = new TfjsGpt(config, train, init);
    const tensorsBefore = tf.memory().numTensors;
    const tensorsAfter: number[] = [];
    const theirs = await twinSteps(config, train, blocks, async (inputs, targets) => {
      const { loss, gradNorm } = model.trainStep(inputs, targets);
      const step = { loss: (await loss.data())[0], gradNorm: (await gradNorm.data())[0] };
      loss.dispose();
      gradNorm.dispose();
      tensorsAfter.push(tf.memory().numTensors);
      return step;
    });
    model.dispose();

    expectTrainsLikeOurs(ours, theirs);
    expect(tensorsAfter).toEqual(tensorsAfter.map(() => tensorsBefore));
  });
});
