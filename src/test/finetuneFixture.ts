// Shared by the fine-tuning GPU tests: a tiny byte model pretrained on one sentence (the base)
// and the blocks of another (the fine-tuning text).
import { BatchSampler } from '../data/blocks';
import type { GpuContext } from '../gpu/device';
import { initParams } from '../model/init';
import { LORA_TARGETS } from '../model/lora';
import { buildParamTable } from '../model/params';
import type { LoraOptimizerKind } from '../optim/loraOptimizer';
import { type FinetuneSettings, type FinetuneStepResult, FinetuneTrainer } from '../train/finetune';
import { Trainer } from '../train/trainer';
import { byteBlocks, TEST_MODEL, testTrainConfig } from './testData';

export const config = TEST_MODEL;

/** The fine-tuning text. */
export const blocks = byteBlocks('pack my box with five dozen liquor jugs! '.repeat(40));

const pretrain = testTrainConfig({ maxSteps: 150 });

/**
 * A base that knows another sentence well (loss ~0.05 after 150 steps). A random base will not
 * do: its tied output head (wte, N(0, 0.02)) keeps every logit near 0 whatever the adapters do.
 */
export async function pretrainedBase(ctx: GpuContext): Promise<Float32Array> {
  const table = buildParamTable(config);
  const trainer = await Trainer.create(ctx, config, pretrain, initParams(config, table, 3));
  const sampler = new BatchSampler(
    byteBlocks('the quick brown fox jumps over the lazy dog. '.repeat(40)),
    pretrain.batchSize,
    pretrain.seed,
  );
  for (let i = 0; i < pretrain.maxSteps; i++) await trainer.queueStep(sampler);
  const base = await trainer.readParams();
  trainer.destroy();
  return base;
}

/** Rank 4 on every target, batch 4, no weight decay or clipping. */
export function finetuneSettings(kind: LoraOptimizerKind, lr: number): FinetuneSettings {
  return {
    lora: { rank: 4, alpha: 8, targets: LORA_TARGETS },
    optimizer: {
      kind,
      lr,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      escapedMass: true,
      clipNorm: 0,
    },
    batchSize: 4,
    seed: 5,
  };
}

/** `steps` fine-tuning steps from the base on the fine-tuning text; their results. */
export async function finetuneSteps(
  ctx: GpuContext,
  base: Float32Array,
  settings: FinetuneSettings,
  steps: number,
): Promise<FinetuneStepResult[]> {
  const trainer = await FinetuneTrainer.create(ctx, config, base, settings);
  const sampler = new BatchSampler(blocks, settings.batchSize, 11);
  const pending: Promise<FinetuneStepResult>[] = [];
  for (let i = 0; i < steps; i++) pending.push((await trainer.queueStep(sampler)).result);
  const results = await Promise.all(pending);
  trainer.destroy();
  return results;
}

/** The first loss and the mean of the last five (batches differ, so one loss is noisy). */
export function lossDrop(results: readonly FinetuneStepResult[]): { first: number; last: number } {
  const last = results.slice(-5).reduce((sum, r) => sum + r.loss, 0) / 5;
  return { first: results[0].loss, last };
}
