// The training benchmark (npm run bench:train): whole optimizer steps of our engine against the
// same GPT in TensorFlow.js (src/bench/tfjsGpt.ts) on the same adapter, from the same initial
// parameters and the same batches, per preset.
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { BatchSampler, Blocks } from '../data/blocks';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { PRESETS, type Preset } from '../model/config';
import { initParams } from '../model/init';
import { buildParamTable } from '../model/params';
import { type StepResult, Trainer } from '../train/trainer';
import { emit, runBench } from './report';
import { profileStep, trainStream } from './stepProfile';
import { TfjsGpt } from './tfjsGpt';

interface Plan {
  preset: Preset;
  /** Untimed steps first: pipeline compilation and first-touch allocation. */
  warmup: number;
  steps: number;
  /** Why the step count is lower than on a real GPU, if it is. */
  reduced?: string;
}

interface Timing {
  msPerStep: number;
  /** Loss of the last timed step: both sides train the same model on the same batches. */
  loss: number;
}

/** Below this speed-up over TF.js a preset's step is profiled; tiny's always is (it is quick). */
const TARGET_RATIO = 2;

function plans(swiftshader: boolean): Plan[] {
  const preset = (id: Preset['id']) => PRESETS.find((p) => p.id === id) as Preset;
  if (!swiftshader)
    return (['tiny', 'small', 'medium'] as const).map((id) => ({
      preset: preset(id),
      warmup: 2,
      steps: 10,
    }));
  return [
    { preset: preset('tiny'), warmup: 1, steps: 5 },
    {
      preset: preset('small'),
      warmup: 1,
      steps: 1,
      reduced:
        'SwiftShader: a small step takes minutes (TF.js longer), so 1 timed step after 1 warm-up',
    },
  ];
}

// The engine pipelines steps (several in flight, losses read back later): queue them all and
// stop the clock at the last step's result.
async function timeOurs(ctx: GpuContext, plan: Plan, init: Float32Array, blocks: Blocks) {
  const { model, train } = plan.preset;
  const trainer = await Trainer.create(ctx, model, train, init);
  const sampler = new BatchSampler(blocks, train.batchSize, train.seed);
  for (let s = 0; s < plan.warmup; s++) await (await trainer.queueStep(sampler)).result;
  const t0 = performance.now();
  let last: Promise<StepResult> | undefined;
  for (let s = 0; s < plan.steps; s++) last = (await trainer.queueStep(sampler)).result;
  const { loss } = await (last as Promise<StepResult>);
  const msPerStep = (performance.now() - t0) / plan.steps;
  trainer.destroy();
  const errors = ctx.takeUncapturedErrors();
  if (errors.length) throw new Error(`Our training step failed: ${errors[0].message}`);
  return { msPerStep, loss };
}

// TF.js's own training loop: each step waits for its loss, which is what lets it make progress.
async function timeTfjs(plan: Plan, init: Float32Array, blocks: Blocks): Promise<Timing> {
  const { model: config, train } = plan.preset;
  const model = new TfjsGpt(config, train, init);
  const sampler = new BatchSampler(blocks, train.batchSize, train.seed);
  const ids = new Uint32Array(train.batchSize);
  const inputs = new Uint32Array(train.batchSize * config.blockSize);
  const targets = new Uint32Array(train.batchSize * config.blockSize);
  const step = async () => {
    sampler.next(ids, inputs, targets);
    const { loss, gradNorm } = model.trainStep(inputs, targets);
    const value = (await loss.data())[0];
    loss.dispose();
    gradNorm.dispose();
    return value;
  };
  for (let s = 0; s < plan.warmup; s++) await step();
  const tensors = tf.memory().numTensors;
  const t0 = performance.now();
  let loss = Number.NaN;
  for (let s = 0; s < plan.steps; s++) loss = await step();
  const msPerStep = (performance.now() - t0) / plan.steps;
  if (tf.memory().numTensors !== tensors) throw new Error('The TF.js step leaks tensors.');
  model.dispose();
  return { msPerStep, loss };
}

async function main(): Promise<void> {
  const ctx = await acquireGpu();
  await tf.setBackend('webgpu');
  await tf.ready();
  const { vendor, architecture } = ctx.adapter;
  emit({ bench: 'adapter', vendor, architecture });
  for (const plan of plans(architecture === 'swiftshader')) {
    const { id, model, train } = plan.preset;
    const init = initParams(model, buildParamTable(model), train.seed);
    const blocks = new Blocks(await trainStream(plan.preset), model.blockSize);
    const tokens = train.batchSize * model.blockSize;
    const common = {
      bench: 'train',
      preset: id,
      steps: plan.steps,
      warmupSteps: plan.warmup,
      batchSize: train.batchSize,
      blockSize: model.blockSize,
      ...(plan.reduced ? { reduced: plan.reduced } : {}),
    };
    const report = (impl: string, t: Timing) => {
      const tokensPerSec = tokens / (t.msPerStep / 1000);
      emit({ ...common, impl, msPerStep: t.msPerStep, tokensPerSec, loss: t.loss });
      return tokensPerSec;
    };
    const ours = report('ours', await timeOurs(ctx, plan, init, blocks));
    const theirs = report('tfjs', await timeTfjs(plan, init, blocks));
    // Above 1 means ours trains faster.
    emit({ bench: 'train', preset: id, impl: 'ratio', tokensPerSecRatio: ours / theirs });
    if (id === 'tiny' || ours / theirs < TARGET_RATIO)
      await profileStep(ctx, plan.preset, init, blocks);
  }
}

runBench(main);
