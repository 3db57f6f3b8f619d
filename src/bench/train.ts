// The training benchmark (npm run bench:train): whole optimizer steps of our engine against the
// same GPT in TensorFlow.js (src/bench/tfjsGpt.ts) and in jax-js (src/bench/jaxGpt.ts) on the
// same adapter, in the same page, from the same initial parameters and the same batches, per
// preset. `?only=tiny` (npm run bench:train -- tiny) times the listed presets alone.
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { BatchSampler, Blocks } from '../data/blocks';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { PRESETS, type Preset } from '../model/config';
import { initParams } from '../model/init';
import { buildParamTable } from '../model/params';
import { type StepResult, Trainer } from '../train/trainer';
import { initJaxWebGpu, JaxGpt } from './jaxGpt';
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

/**
 * The twins' batches: inputs and targets (B*T) of each next batch, in the order our Trainer's
 * sampler gives them for the same blocks and seed (one pair of arrays, refilled per call).
 */
function batches(plan: Plan, blocks: Blocks): () => [Uint32Array, Uint32Array] {
  const { model: config, train } = plan.preset;
  const sampler = new BatchSampler(blocks, train.batchSize, train.seed);
  const ids = new Uint32Array(train.batchSize);
  const inputs = new Uint32Array(train.batchSize * config.blockSize);
  const targets = new Uint32Array(train.batchSize * config.blockSize);
  return () => {
    sampler.next(ids, inputs, targets);
    return [inputs, targets];
  };
}

// TF.js's own training loop: each step waits for its loss, which is what lets it make progress.
async function timeTfjs(plan: Plan, init: Float32Array, blocks: Blocks): Promise<Timing> {
  const { model: config, train } = plan.preset;
  const model = new TfjsGpt(config, train, init);
  const nextBatch = batches(plan, blocks);
  const step = async () => {
    const { loss, gradNorm } = model.trainStep(...nextBatch());
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

// jax-js is lazy (a step's work is submitted when a result of it is read): queue every step, read
// only the last step's loss and stop the clock there, so the peer gets the pipelining ours does.
async function timeJax(plan: Plan, init: Float32Array, blocks: Blocks): Promise<Timing> {
  const { model: config, train } = plan.preset;
  const model = new JaxGpt(config, train, init);
  const nextBatch = batches(plan, blocks);
  const steps = async (n: number) => {
    let loss = Number.NaN;
    for (let s = 0; s < n; s++) {
      const step = model.trainStep(...nextBatch());
      step.gradNorm.dispose();
      if (s < n - 1) step.loss.dispose();
      else loss = (await step.loss.data())[0];
    }
    return loss;
  };
  await steps(plan.warmup);
  const t0 = performance.now();
  const loss = await steps(plan.steps);
  const msPerStep = (performance.now() - t0) / plan.steps;
  model.dispose();
  return { msPerStep, loss };
}

const TWINS = ['tfjs', 'jax-js'] as const;
type Twin = (typeof TWINS)[number];

/**
 * What the page's `?only=` names (comma-separated preset ids and twins, e.g. `small,jax-js`):
 * the named presets, or all; the named twins, or both. Ours always runs.
 */
function select(all: Plan[], only: string | null): { plans: Plan[]; twins: Twin[] } {
  const names = only === null ? [] : only.split(',');
  const presets = all.map((p): string => p.preset.id);
  const unknown = names.filter(
    (n) => !presets.includes(n) && !(TWINS as readonly string[]).includes(n),
  );
  if (unknown.length) {
    throw new Error(
      `Unknown name ${unknown.join(', ')} in only=${only}: this adapter times the presets ${presets.join(', ')} against the twins ${TWINS.join(', ')}.`,
    );
  }
  const plans = all.filter((p) => names.includes(p.preset.id));
  const twins = TWINS.filter((t) => names.includes(t));
  return { plans: plans.length ? plans : all, twins: twins.length ? twins : [...TWINS] };
}

async function main(): Promise<void> {
  const ctx = await acquireGpu();
  await tf.setBackend('webgpu');
  await tf.ready();
  await initJaxWebGpu();
  const { vendor, architecture } = ctx.adapter;
  emit({ bench: 'adapter', vendor, architecture });
  const only = new URLSearchParams(location.search).get('only');
  const selected = select(plans(architecture === 'swiftshader'), only);
  for (const plan of selected.plans) {
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
      return { tokensPerSec, loss: t.loss };
    };
    const ours = report('ours', await timeOurs(ctx, plan, init, blocks));
    const time = (twin: Twin) =>
      twin === 'tfjs' ? timeTfjs(plan, init, blocks) : timeJax(plan, init, blocks);
    const twins = [];
    for (const twin of selected.twins) twins.push({ twin, ...report(twin, await time(twin)) });
    // tokensPerSecRatio above 1 means ours trains faster; lossRelDiff is how far the twin's
    // last loss is from ours, relative (same model, same batches: f32 rounding only).
    for (const t of twins) {
      emit({
        bench: 'train',
        preset: id,
        impl: 'ratio',
        twin: t.twin,
        tokensPerSecRatio: ours.tokensPerSec / t.tokensPerSec,
        lossRelDiff: Math.abs(t.loss - ours.loss) / ours.loss,
      });
    }
    const tfjs = twins.find((t) => t.twin === 'tfjs');
    const tfjsRatio = tfjs ? ours.tokensPerSec / tfjs.tokensPerSec : Number.NaN;
    if (id === 'tiny' || tfjsRatio < TARGET_RATIO)
      await profileStep(ctx, plan.preset, init, blocks);
  }
}

runBench(main);
