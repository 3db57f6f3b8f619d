// What the twins' GPU tests share (src/bench/tfjsGpt.gpu.test.ts, jaxGpt.gpu.test.ts): a few
// steps of our Trainer and of a twin from the same parameters and batches, and the check that
// both trained the same model.
import { expect } from 'vitest';
import { BatchSampler, Blocks } from '../data/blocks';
import { tokenStream } from '../data/dataset';
import { byteTokenizer } from '../data/tokenizer';
import type { GpuContext } from '../gpu/device';
import type { GPTConfig, TrainConfig } from '../model/config';
import { Trainer } from '../train/trainer';

export const TWIN_STEPS = 3;

export interface TwinStep {
  loss: number;
  gradNorm: number;
}

const TEXT =
  'It was the best of times, it was the worst of times, it was the age of wisdom. '.repeat(20);

/** Blocks of T bytes of a fixed text, for the tiny preset's byte vocabulary. */
export function textBlocks(T: number): Blocks {
  const ids = byteTokenizer.encode(TEXT);
  return new Blocks(
    tokenStream('train', Uint8Array.from([...ids, byteTokenizer.eosId]), byteTokenizer),
    T,
  );
}

/** TWIN_STEPS steps of our Trainer, its results in order; fails on any WebGPU error. */
export async function ourSteps(
  ctx: GpuContext,
  config: GPTConfig,
  train: TrainConfig,
  init: Float32Array,
  blocks: Blocks,
): Promise<TwinStep[]> {
  const trainer = await Trainer.create(ctx, config, train, init);
  const sampler = new BatchSampler(blocks, train.batchSize, train.seed);
  const pending = [];
  for (let s = 0; s < TWIN_STEPS; s++) pending.push((await trainer.queueStep(sampler)).result);
  const ours = await Promise.all(pending);
  trainer.destroy();
  expect(ctx.takeUncapturedErrors().map((e) => e.message)).toEqual([]);
  return ours;
}

/** TWIN_STEPS steps of a twin on the batches our Trainer takes from the same blocks and seed. */
export async function twinSteps(
  config: GPTConfig,
  train: TrainConfig,
  blocks: Blocks,
  step: (inputs: Uint32Array, targets: Uint32Array) => Promise<TwinStep>,
): Promise<TwinStep[]> {
  const sampler = new BatchSampler(blocks, train.batchSize, train.seed);
  const ids = new Uint32Array(train.batchSize);
  const inputs = new Uint32Array(train.batchSize * config.blockSize);
  const targets = new Uint32Array(train.batchSize * config.blockSize);
  const theirs: TwinStep[] = [];
  for (let s = 0; s < TWIN_STEPS; s++) {
    sampler.next(ids, inputs, targets);
    theirs.push(await step(inputs, targets));
  }
  return theirs;
}

export function expectTrainsLikeOurs(ours: TwinStep[], theirs: TwinStep[]): void {
  // Tolerance 1e-4 relative, as the Trainer is held to against the float64 reference: each
  // side is an f32 evaluation (~1e-6 relative here) of the same exact loss and gradient
  // norm. Steps 2 and 3 also compare the optimizers: an update of the wrong size or
  // direction moves the loss by ~lr |g|_1 (~1e-2 relative here), far beyond 1e-4.
  for (let s = 0; s < TWIN_STEPS; s++) {
    expect(Math.abs(theirs[s].loss - ours[s].loss)).toBeLessThan(1e-4 * ours[s].loss);
    expect(Math.abs(theirs[s].gradNorm - ours[s].gradNorm)).toBeLessThan(1e-4 * ours[s].gradNorm);
  }
  expect(ours[TWIN_STEPS - 1].loss).toBeLessThan(ours[0].loss);
}
