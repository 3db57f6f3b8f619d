import type {
  CheckpointLfr,
  CheckpointLfrPlan,
  CheckpointParts,
  RunSettings,
} from '../checkpoint/format';
import { BatchSampler, Blocks } from '../data/blocks';
import type { Dataset } from '../data/dataset';
import type { GpuContext } from '../gpu/device';
import { chosenBlocks } from '../lfr/firstBlocks';
import type { Schedule, ScheduleState } from '../lfr/schedule';
import type { GPTConfig, TrainConfig } from '../model/config';
import { Generator, type SampleOptions } from '../model/generator';
import { initParams } from '../model/init';
import { buildParamTable } from '../model/params';
import { estimateMemory, validateSettings } from '../model/validate';
import { appendAll } from '../util/append';
import { Rng } from '../util/rng';
import type { StepPoint, ValPoint } from './history';
import { findNonFinite, type NonFiniteTensor } from './nonFinite';
import { captureCheckpoint, restoreSampler, trainerStateOf } from './runCheckpoint';
import { type BatchSource, type StepResult, Trainer } from './trainer';

export type SessionState = 'ready' | 'running' | 'paused' | 'done' | 'stopped' | 'failed';

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
  /** Set once a step's loss was not finite: the run paused there. */
  nonFinite?: NonFinitePause;
}

/** Why a run paused by itself: the step whose loss was NaN or infinite, and the first bad tensor. */
export interface NonFinitePause {
  step: number;
  loss: number;
  /** Null when every tensor read back was finite again. */
  tensor: NonFiniteTensor | null;
}

/** The GPU had no memory for the run's buffers: the worker offers a smaller preset. */
export class OutOfMemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutOfMemoryError';
  }
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
  /** Given: the maxBlocks blocks are a random sample of the split's from this seed instead. */
  sampleSeed?: number;
  /** What a checkpoint says the run was built from; checkpoint() needs it. */
  settings?: RunSettings;
  /** Saved with the schedule's state (CheckpointLfr.plan) so the worker can rebuild the schedule. */
  schedulePlan?: CheckpointLfrPlan;
  /** Continues this checkpoint's run (its model, settings and data) instead of fresh weights. */
  restore?: CheckpointParts;
  /** Checkpoints every N steps (0 or absent: never), between steps, handing them to onAutosave. */
  autosaveEvery?: number;
  /** Stores an autosave; a rejection is reported through onAutosaveError and the run goes on. */
  onAutosave?: (bytes: Uint8Array, step: number) => Promise<void>;
  onAutosaveError?: (e: unknown, step: number) => void;
}

interface CaptureRequest {
  resolve: (bytes: Uint8Array) => void;
  reject: (e: unknown) => void;
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
  /** Every step and validation point so far: what a checkpoint carries. */
  private readonly history: { train: StepPoint[]; val: ValPoint[] } = { train: [], val: [] };
  private captures: CaptureRequest[] = [];
  private nonFinite: NonFinitePause | undefined;
  private diagnosed = false;
  /** Checkpoint every N steps while running; 0 turns it off (the page may change it mid-run). */
  autosaveEvery: number;

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
    private readonly options: SessionOptions,
  ) {
    this.flops = flopsPerToken(model);
    this.autosaveEvery = options.autosaveEvery ?? 0;
    const restore = options.restore;
    if (restore) {
      // The restored run waits, paused, with its history on the charts until it is continued.
      this.state = 'paused';
      this.completed = restore.step;
      this.tokensSeen = restore.step * train.gradAccumSteps * train.batchSize * model.blockSize;
      appendAll(this.history.train, restore.history.train);
      appendAll(this.history.val, restore.history.val);
      appendAll(this.outbox, restore.history.train);
      appendAll(this.valOutbox, restore.history.val);
    }
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
    const blocks = chosenBlocks(
      dataset.train,
      model.blockSize,
      options.maxBlocks ?? 0,
      options.sampleSeed ?? null,
    );
    const restore = options.restore;
    const schedule = options.schedule?.(blocks) ?? null;
    if (schedule && restore) schedule.restoreState(scheduleStateOf(restore));
    const source =
      schedule ??
      (restore
        ? restoreSampler(blocks, restore)
        : new BatchSampler(blocks, train.batchSize, train.seed));
    const run = schedule ? { ...train, maxSteps: schedule.totalSteps() } : train;
    const valBlocks = new Blocks(dataset.val, model.blockSize);
    if (train.evalInterval > 0 && valBlocks.count < train.batchSize) {
      throw new Error(
        `The validation split gives ${valBlocks.count} blocks of block_size ${model.blockSize}, fewer than one evaluation batch of ${train.batchSize}: lower the batch size or block_size, add text, or set the evaluation interval to 0.`,
      );
    }
    const params = restore?.params ?? initParams(model, buildParamTable(model), train.seed);
    const trainer = await createTrainer(ctx, model, run, params, restore);
    const session = new TrainingSession(
      ctx,
      model,
      run,
      trainer,
      source,
      schedule,
      valBlocks,
      onProgress,
      options,
    );
    if (restore) session.flush();
    return session;
  }

  /** Trains until maxSteps, a pause or a stop. */
  start(): void {
    if (this.state === 'running' || this.state === 'done' || this.state === 'stopped') return;
    this.state = 'running';
    this.lastStepAt = performance.now();
    this.loop = this.run().catch((e: unknown) => {
      this.state = 'failed';
      this.error = e instanceof Error ? e.message : String(e);
      for (const request of this.captures.splice(0)) request.reject(e);
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
      const autosave = this.autosaveEvery > 0 && step % this.autosaveEvery === 0;
      if (autosave || this.captures.length > 0) {
        // Between two steps: the queued ones come back first, so the checkpoint is one whole step.
        await Promise.all(pending.splice(0));
        await this.serveCaptures();
        if (autosave && !this.nonFinite) await this.autosave();
      }
    }
    await Promise.all(pending);
    if (this.nonFinite && !this.diagnosed) {
      this.diagnosed = true;
      this.nonFinite.tensor = await findNonFinite(this.ctx, this.trainer);
    }
    if (this.state === 'running') this.state = 'done';
    await this.serveCaptures();
    this.flush();
  }

  /**
   * The run as checkpoint bytes, taken between two steps: a running session captures at its
   * next step boundary and goes on; otherwise at once.
   */
  async checkpoint(): Promise<Uint8Array> {
    if (this.state === 'running') {
      return new Promise((resolve, reject) => this.captures.push({ resolve, reject }));
    }
    await this.loop;
    return this.capture();
  }

  private async serveCaptures(): Promise<void> {
    for (const request of this.captures.splice(0)) {
      await this.capture().then(request.resolve, request.reject);
    }
  }

  private async autosave(): Promise<void> {
    const step = this.trainer.step;
    try {
      await this.options.onAutosave?.(await this.capture(), step);
    } catch (e) {
      this.options.onAutosaveError?.(e, step);
    }
  }

  private capture(): Promise<Uint8Array> {
    const settings = this.options.settings;
    if (!settings)
      throw new Error('This run was built without a settings record: it cannot be saved.');
    const schedule = this.schedule;
    return captureCheckpoint(this.trainer, {
      settings: { ...settings, train: this.train },
      // A scheduled run's position is its schedule's state; the sampler field names its blocks.
      sampler:
        this.source instanceof BatchSampler
          ? this.source
          : {
              state: { seed: this.train.seed, epoch: 0, cursor: 0, blocks: schedule!.blocks.count },
            },
      lfr: schedule
        ? ({
            plan: this.options.schedulePlan ?? null,
            state: schedule.saveState(),
          } satisfies CheckpointLfr)
        : null,
      history: this.history,
    });
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
    const point = { step: r.step + 1, loss: r.loss, lr: r.lr, gradNorm: r.gradNorm };
    this.outbox.push(point);
    this.history.train.push(point);
    this.schedule?.observe(r);
    this.options.onStep?.(r);
    if (!Number.isFinite(r.loss) && !this.nonFinite) {
      // Stop queuing; the steps in flight finish, then the loop names the first bad tensor.
      this.nonFinite = { step: r.step + 1, loss: r.loss, tensor: null };
      if (this.state === 'running') this.state = 'paused';
    }
    if (now - this.lastFlush >= PROGRESS_INTERVAL_MS) this.flush();
  }

  private async validate(): Promise<void> {
    // The same validation batches every time, so the curve compares like with like.
    const sampler = new BatchSampler(this.valBlocks, this.train.batchSize, 0);
    const loss = await this.trainer.evaluate(sampler, this.train.evalBatches);
    const point = { step: this.trainer.step, loss, perplexity: Math.exp(loss) };
    this.valOutbox.push(point);
    this.history.val.push(point);
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
      nonFinite: this.nonFinite,
    });
  }

  /** The current parameters (after the steps queued so far), e.g. to export the model. */
  readParams(): Promise<Float32Array> {
    return this.trainer.readParams();
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

function scheduleStateOf(parts: CheckpointParts): ScheduleState {
  const lfr = parts.lfr;
  if (!lfr) {
    throw new Error(
      'This checkpoint was saved from a run without a data schedule, so it cannot continue as an LFR run.',
    );
  }
  return lfr.state;
}

/**
 * The trainer, fresh or continuing `restore`. Its buffers are made inside an out-of-memory error
 * scope: a GPU without room for them is refused with a message, and what was made is freed.
 */
async function createTrainer(
  ctx: GpuContext,
  model: GPTConfig,
  train: TrainConfig,
  params: Float32Array,
  restore: CheckpointParts | undefined,
): Promise<Trainer> {
  ctx.device.pushErrorScope('out-of-memory');
  let trainer: Trainer | undefined;
  try {
    trainer = await Trainer.create(
      ctx,
      model,
      train,
      params,
      restore && { restore: trainerStateOf(restore) },
    );
  } finally {
    const oom = await ctx.device.popErrorScope();
    if (oom) {
      trainer?.destroy();
      const est = estimateMemory(model, train.batchSize);
      const mib = (b: number) => `${Math.ceil(b / 2 ** 20)} MiB`;
      // biome-ignore lint/correctness/noUnsafeFinally: the GPU's refusal is the error to report.
      throw new OutOfMemoryError(
        `The GPU ran out of memory making this run's buffers (about ${mib(est.totalBytes)}; the largest, ${est.largestBufferName}, ${mib(est.largestBufferBytes)}): ${oom.message}. Pick a smaller preset, or lower the batch size, block_size or n_embd.`,
      );
    }
  }
  return trainer;
}
