// A training run to and from checkpoint bytes: the glue the session and the worker call.

import {
  type CheckpointLfr,
  type CheckpointParts,
  encodeCheckpoint,
  type RunSettings,
} from '../checkpoint/format';
import { BatchSampler, type Blocks, type SamplerState } from '../data/blocks';
import type { GpuContext } from '../gpu/device';
import type { StepPoint, ValPoint } from './history';
import { learningRateAt } from './lrSchedule';
import { Trainer, type TrainerState } from './trainer';

/** What the session knows of its run beyond the trainer's GPU state. */
export interface RunRecord {
  settings: RunSettings;
  /** The training sampler, whose position is saved with the step (a scheduled run's is nominal). */
  sampler: { readonly state: SamplerState };
  /** Named u32 generator states to restore (e.g. sampling); default none. */
  rng?: Record<string, number>;
  /** The LFR schedule's state (null for the random schedule). */
  lfr?: CheckpointLfr | null;
  history: { train: StepPoint[]; val: ValPoint[] };
}

/**
 * The run as checkpoint bytes. Call it with no step being queued (the session paused, or
 * between two queueStep calls): the sampler's position is taken now, and the trainer's state
 * after the steps already queued finish, so both describe the same step.
 */
export async function captureCheckpoint(
  trainer: Trainer,
  run: RunRecord,
  now: Date = new Date(),
): Promise<Uint8Array> {
  const sampler: SamplerState = run.sampler.state;
  const state = await trainer.exportState();
  return encodeCheckpoint({
    settings: run.settings,
    step: state.step,
    schedule: { step: state.step, lr: learningRateAt(state.step, run.settings.train) },
    sampler,
    rng: run.rng ?? {},
    lfr: run.lfr ?? null,
    history: run.history,
    savedAt: now.toISOString(),
    params: state.params,
    m: state.m,
    v: state.v,
  });
}

export function trainerStateOf(parts: CheckpointParts): TrainerState {
  return { step: parts.step, params: parts.params, m: parts.m, v: parts.v };
}

/** A trainer that continues the checkpoint's run: its next step is the checkpoint's step + 1. */
export function restoreTrainer(ctx: GpuContext, parts: CheckpointParts): Promise<Trainer> {
  const { model, train } = parts.settings;
  return Trainer.create(ctx, model, train, parts.params, { restore: trainerStateOf(parts) });
}

/**
 * The training sampler at the checkpoint's position, over `blocks` of the same data (throws a
 * DataError naming the mismatch when the data or block_size differ).
 */
export function restoreSampler(blocks: Blocks, parts: CheckpointParts): BatchSampler {
  const { train } = parts.settings;
  return new BatchSampler(blocks, train.batchSize, train.seed, parts.sampler);
}
