import { BatchSampler, Blocks } from '../data/blocks';
import type { Dataset } from '../data/dataset';
import type { GpuContext } from '../gpu/device';
import { firstBlocks } from '../lfr/firstBlocks';
import type { Schedule } from '../lfr/schedule';
import type { GPTConfig, TrainConfig } from '../model/config';
import { Generator, type SampleOptions } from '../model/generator';
import { initParams } from '../model/init';
import { buildParamTable } from '../model/params';
import { validateSettings } from '../model/validate';
import { Rng } from '../util/rng';
import { type BatchSource, type StepResult, Trainer } from './trainer';

export type SessionState = 'ready' | 'running' | 'paused' | 'done' | 'stopped' | 'failed';

/** One optimizer step as the charts plot it. */
export interface StepPoint {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
}

export interface ValPoint {
  step: number;
  loss: number;
  perplexity: number;
}

/** What the worker streams to the page, batched (at most every PROGRESS_INTERVAL_MS). */
export interface Progress {
  state: SessionState;
  /** Optimizer steps whose loss has come back. */
  step: number;
  maxSteps: number;
  /** Steps since the last event (the page appends them). */
  points: StepPoint[];
  val: ValPoint[];
  tokensSeen: number;
  tokensPerSec: number;
  msPerStep: number;
  /** Achieved model FLOP/s, counting 6 N + 12 L T C FLOPs per token (nanoGPT's estimate). */
  gflops: number;
  /** Estimated time to maxSteps at the current speed. */
  etaMs: number;
  error?: string;
}

export const PROGRESS_INTERVAL_MS = 100;

/** Model FLOPs of one token's forward and backward (nanoGPT's estimate_mfu). */
export function flopsPerToken(m: GPTConfig): number {
  const n = buildParamTable(m).count;
  return 6 * n + 12 * m.nLayer * m.nEmbd * m.blockSize;
}

/** A per-step hook for the research views (LFR scores every block the step saw). */
export type StepListener = (result: StepResult) => void;

export interface SessionOptions {
  /** Called with every step's result, after the schedule (if any) has observed it. */
  onStep?: StepListener;
  /**
   * Builds the run's data order over the training blocks (LFR or the random baseline). The run
   * lasts the schedule's totalSteps(), which replaces train.maxSteps (and so the lr decay).
   */
  schedule?: (blocks: Blocks) => Schedule;
  /** Trains on the first `maxBlocks` blocks of the split; 0 or absent for all. */
  maxBlocks?: number;
}

/**
 * A pretraining run: data order, trainer, periodic validation, and the pause/resume/stop
 * controls. Progress is batched so the page receives a bounded number of messages.
 */
export class TrainingSession {
  state: SessionState = 'ready';
  private readonly flops: number;
  private generator: Generator | null = null;
  private outbox: StepPoint[] = [];
  private valOutbox: ValPoint[] = [];
  private completed = 0;
  private tokensSeen = 0;
  private lastFlush = 0;
  private speed = { tokensPerSec: 0, msPerStep: 0 };
  private lastStepAt = 0;
  private loop: Promise<void> | null = null;
  private error: string | undefined;

  private constructor(
    private readonly ctx: GpuContext,
    readonly model: GPTConfig,
    readonly train: TrainConfig,
    private readonly trainer: Trainer,
    private readonly source: BatchSource,
    /** The run's schedule, when it has one: it observes every step's scores. */
    readonly schedule: Schedule | null,
    private readonly valBlocks: Blocks,
    private readonly onProgress: (p: Progress) => void,
    private readonly onStep?: StepListener,
  ) {
    this.flops = flopsPerToken(model);
  }

  /** Validates the settings against the adapter and the data, then builds the run. */
  static async create(
    ctx: GpuContext,
    model: GPTConfig,
    train: TrainConfig,
    dataset: Dataset,
    onProgress: (p: Progress) => void,
    options: SessionOptions = {},
  ): Promise<TrainingSession> {
    const limits = {
      maxStorageBufferBindingSize: ctx.adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: ctx.adapter.limits.maxBufferSize,
    };
    const errors = validateSettings(model, train, limits, dataset.train.tokens.length);
    if (model.vocabSize !== dataset.tokenizer.vocabSize) {
      errors.push(
        `vocab_size ${model.vocabSize} does not match the ${dataset.tokenizer.name} tokenizer's ${dataset.tokenizer.vocabSize}.`,
      );
    }
    if (errors.length > 0) throw new Error(errors.join('\n'));
    // Data errors surface here, before any GPU buffer exists.
    const blocks = firstBlocks(dataset.train, model.blockSize, options.maxBlocks ?? 0);
    const schedule = options.schedule?.(blocks) ?? null;
    const source = schedule ?? new BatchSampler(blocks, train.batchSize, train.seed);
    const run = schedule ? { ...train, maxSteps: schedule.totalSteps() } : train;
    const valBlocks = new Blocks(dataset.val, model.blockSize);
    if (train.evalInterval > 0 && valBlocks.count < train.batchSize) {
      throw new Error(
        `The validation split gives ${valBlocks.count} blocks of block_size ${model.blockSize}, fewer than one evaluation batch of ${train.batchSize}: lower the batch size or block_size, add text, or set the evaluation interval to 0.`,
      );
    }
    const params = initParams(model, buildParamTable(model), train.seed);
    const trainer = await Trainer.create(ctx, model, run, params);
    return new TrainingSession(
      ctx,
      model,
      run,
      trainer,
      source,
      schedule,
      valBlocks,
      onProgress,
      options.onStep,
    );
  }

  /** Trains until maxSteps, a pause or a stop. */
  start(): void {
    if (this.state === 'running' || this.state === 'done' || this.state === 'stopped') return;
    this.state = 'running';
    this.lastStepAt = performance.now();
    this.loop = this.run().catch((e: unknown) => {
      this.state = 'failed';
      this.error = e instanceof Error ? e.message : String(e);
      this.flush();
    });
  }

  /** Resolves when the run's loop has ended (done, paused, stopped or failed). */
  async settled(): Promise<void> {
    await this.loop;
  }

  /** Stops queuing steps; resolves when the queued ones have come back. */
  async pause(): Promise<void> {
    if (this.state === 'running') this.state = 'paused';
    await this.loop;
  }

  async stop(): Promise<void> {
    if (this.state === 'running' || this.state === 'paused' || this.state === 'ready')
      this.state = 'stopped';
    await this.loop;
    this.flush();
  }

  /** One step while paused or before starting (for teaching: watch a single update). */
  async stepOnce(): Promise<void> {
    if (this.state === 'running' || this.trainer.step >= this.train.maxSteps) return;
    this.lastStepAt = performance.now();
    const { result } = await this.trainer.queueStep(this.source);
    this.record(await result);
    if (this.train.evalInterval > 0 && this.completed % this.train.evalInterval === 0)
      await this.validate();
    this.flush();
  }

  private async run(): Promise<void> {
    const pending: Promise<void>[] = [];
    while (this.state === 'running' && this.trainer.step < this.train.maxSteps) {
      // A Focus cut ranks every step of the phase before it: those still in flight come first.
      if (this.schedule?.needsObservation()) await Promise.all(pending.splice(0));
      const { result } = await this.trainer.queueStep(this.source);
      pending.push(result.then((r) => this.record(r)));
      const step = this.trainer.step;
      if (
        this.train.evalInterval > 0 &&
        (step % this.train.evalInterval === 0 || step === this.train.maxSteps)
      ) {
        await this.validate();
      }
    }
    await Promise.all(pending);
    if (this.state === 'running') this.state = 'done';
    this.flush();
  }

  private record(r: StepResult): void {
    const now = performance.now();
    const ms = now - this.lastStepAt;
    this.lastStepAt = now;
    // Smoothed over about ten steps so one slow step (e.g. a validation) does not jolt the display.
    const a = this.completed === 0 ? 1 : 0.1;
    this.speed.msPerStep += a * (ms - this.speed.msPerStep);
    this.speed.tokensPerSec = (r.tokens * 1000) / Math.max(1e-3, this.speed.msPerStep);
    this.completed++;
    this.tokensSeen += r.tokens;
    this.outbox.push({ step: r.step + 1, loss: r.loss, lr: r.lr, gradNorm: r.gradNorm });
    this.schedule?.observe(r);
    this.onStep?.(r);
    if (now - this.lastFlush >= PROGRESS_INTERVAL_MS) this.flush();
  }

  private async validate(): Promise<void> {
    // The same validation batches every time, so the curve compares like with like.
    const sampler = new BatchSampler(this.valBlocks, this.train.batchSize, 0);
    const loss = await this.trainer.evaluate(sampler, this.train.evalBatches);
    this.valOutbox.push({ step: this.trainer.step, loss, perplexity: Math.exp(loss) });
    this.flush();
    this.lastStepAt = performance.now();
  }

  private flush(): void {
    this.lastFlush = performance.now();
    const remaining = this.train.maxSteps - this.completed;
    this.onProgress({
      state: this.state,
      step: this.completed,
      maxSteps: this.train.maxSteps,
      points: this.outbox.splice(0),
      val: this.valOutbox.splice(0),
      tokensSeen: this.tokensSeen,
      tokensPerSec: this.speed.tokensPerSec,
      msPerStep: this.speed.msPerStep,
      gflops: (this.speed.tokensPerSec * this.flops) / 1e9,
      etaMs: remaining * this.speed.msPerStep,
      error: this.error,
    });
  }

  /** Continues `prompt` (token ids) from the current parameters. */
  async sample(prompt: readonly number[], options: SampleOptions, seed: number): Promise<number[]> {
    this.generator ??= await Generator.create(this.ctx, this.trainer.model);
    return this.generator.generate(prompt, options, new Rng(seed));
  }

  destroy(): void {
    this.generator?.destroy();
    this.trainer.destroy();
  }
}
