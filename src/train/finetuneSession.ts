// The fine-tuning analogue of TrainingSession: Adam and LoRA-RITE side by side on the same base,
// seed and batches (interleaved step by step, or one after the other), progress batched for the
// page, a non-finite step pausing the run with its pair and quantity; and the invariance demo.
import {
  encodeFinetuneCheckpoint,
  type FinetuneBaseRecord,
  type FinetuneCheckpointParts,
  type FinetuneDataRecord,
  type FinetuneOptimizerRecord,
} from '../checkpoint/finetuneFormat';
import { BatchSampler, type Blocks } from '../data/blocks';
import { exportPeftLora } from '../export/peftLora';
import type { GpuContext } from '../gpu/device';
import type { GPTConfig } from '../model/config';
import { Generator, type SampleOptions } from '../model/generator';
import { GptModel } from '../model/gpt';
import type { LoraSettings } from '../model/lora';
import { validateLora } from '../model/validateLora';
import { loraOptimizerProblem } from '../optim/createLoraOptimizer';
import type { LoraOptimizerKind, LoraOptimizerSettings } from '../optim/loraOptimizer';
import { Rng } from '../util/rng';
import {
  type FinetuneSettings,
  type FinetuneStepResult,
  FinetuneTrainer,
  zInvariance,
} from './finetune';
import { conditionNumber, type InvarianceMatrixKind, invarianceMatrix } from './invarianceMatrix';
import { fineTuneSchedule, type LrDecay, learningRateAt } from './lrSchedule';
import { PROGRESS_INTERVAL_MS } from './session';

/** How the two optimizers share the GPU: step k of each in turn, or every Adam step first. */
export type FinetuneOrder = 'interleaved' | 'sequential';

/** A fine-tuning run as the form describes it; finetuneProblems says what is wrong with it. */
export interface FinetuneRequest {
  lora: LoraSettings;
  /** One optimizer, or both ('adam' then 'rite') side by side. */
  optimizers: readonly LoraOptimizerKind[];
  /** Peak learning rate of each optimizer (RITE's is riteLr when given). */
  lr: number;
  /** RITE's own peak rate (the paper finds its best 20 to 100 times Adam's); undefined: lr. */
  riteLr?: number;
  /** Linear warmup over these steps, then the decay, as in pretraining. */
  warmupSteps: number;
  decay: LrDecay;
  /** Optimizer steps of each optimizer. */
  steps: number;
  batchSize: number;
  /** RITE only (see loraOptimizer.ts). */
  escapedMass: boolean;
  /** The adapters' init and the batch order: the same for every optimizer. */
  seed: number;
  order: FinetuneOrder;
}

/** The invariance demo: the form's run from (A, B) and from (A S, B S^-T), for each optimizer. */
export interface InvarianceRequest extends FinetuneRequest {
  matrix: InvarianceMatrixKind;
  /** Draws the random kinds of S. */
  matrixSeed: number;
}

export interface FinetunePoint {
  kind: LoraOptimizerKind;
  /** 1-based: the loss of the batch the step trained on. */
  step: number;
  loss: number;
}

/** The run paused by itself: an optimizer's step produced a non-finite value. */
export interface FinetunePause {
  kind: LoraOptimizerKind;
  step: number;
  pair: string;
  quantity: string;
}

export type FinetuneState = 'running' | 'paused' | 'done' | 'stopped' | 'failed';

/** What the worker streams to the page, batched (at most every PROGRESS_INTERVAL_MS). */
export interface FinetuneProgress {
  state: FinetuneState;
  /** Steps whose loss came back, per optimizer of the run. */
  done: Partial<Record<LoraOptimizerKind, number>>;
  /** Steps of each optimizer. */
  steps: number;
  /** New points since the last event. */
  points: FinetunePoint[];
  /** Wall time per optimizer step, all optimizers together. */
  msPerStep: number;
  /** Each optimizer's peak learning rate. */
  rates: Partial<Record<LoraOptimizerKind, number>>;
  nonFinite?: FinetunePause;
  error?: string;
}

/** One optimizer's relative difference of Z between the two factorizations, after each step. */
export interface InvarianceSeries {
  kind: LoraOptimizerKind;
  diffs: number[];
  /** cond(S), which bounds RITE's difference (~1e-5 cond(S) in f32, see the spec). */
  cond: number;
}

/** One step of the invariance demo, streamed as it is known: `step` is 1-based. */
export interface InvarianceStep {
  kind: LoraOptimizerKind;
  step: number;
  diff: number;
  cond: number;
}

/** Steps and batch size a run may ask for. */
export const MAX_FINETUNE_STEPS = 100_000;
export const MAX_FINETUNE_BATCH = 256;

type RateRequest = Pick<FinetuneRequest, 'lr' | 'riteLr'>;

/** An optimizer's peak learning rate. */
export const rateOf = (kind: LoraOptimizerKind, request: RateRequest): number =>
  kind === 'rite' && request.riteLr !== undefined ? request.riteLr : request.lr;

/** The learning rate of an optimizer's step `step` (0-based): its rate on the run's schedule. */
export function finetuneRateAt(
  kind: LoraOptimizerKind,
  step: number,
  request: RateRequest & Pick<FinetuneRequest, 'warmupSteps' | 'decay' | 'steps'>,
): number {
  const { warmupSteps, decay, steps } = request;
  return learningRateAt(step, fineTuneSchedule(rateOf(kind, request), warmupSteps, decay, steps));
}

/** The optimizer settings of a request: the paper's betas, clipping at 1, no weight decay. */
export function optimizerSettings(
  kind: LoraOptimizerKind,
  request: RateRequest & Pick<FinetuneRequest, 'escapedMass'>,
): LoraOptimizerSettings {
  return {
    kind,
    lr: rateOf(kind, request),
    beta1: 0.9,
    beta2: 0.999,
    // RITE's eps sits under a square root of an r x r eigenvalue (spec step 7); Adam's the usual.
    eps: kind === 'adam' ? 1e-8 : 1e-6,
    weightDecay: 0,
    escapedMass: request.escapedMass,
    clipNorm: 1,
  };
}

function trainerSettings(kind: LoraOptimizerKind, request: FinetuneRequest): FinetuneSettings {
  return {
    lora: request.lora,
    optimizer: optimizerSettings(kind, request),
    batchSize: request.batchSize,
    seed: request.seed,
  };
}

const wholeIn = (x: number, lo: number, hi: number) => Number.isInteger(x) && x >= lo && x <= hi;

/**
 * Every problem with a request for this base, as messages a user can act on (validateLora's,
 * then loraOptimizerProblem's, then the run's own); empty when it may start.
 */
export function finetuneProblems(
  config: GPTConfig,
  request: FinetuneRequest,
  base?: Float32Array,
): string[] {
  const errors = validateLora(config, request.lora, base && { config, params: base });
  if (request.optimizers.length === 0)
    errors.push('No optimizer: choose Adam, LoRA-RITE or both side by side.');
  const seen = new Set<string>();
  for (const kind of request.optimizers) {
    // No pairs: validateLora has checked the ranks; this checks the settings (lr, betas, ...).
    const problem = loraOptimizerProblem([], optimizerSettings(kind, request));
    if (problem && !seen.has(problem)) {
      seen.add(problem);
      errors.push(`${problem[0].toUpperCase()}${problem.slice(1)}: e.g. 1e-3 for Adam.`);
    }
  }
  if (!wholeIn(request.steps, 1, MAX_FINETUNE_STEPS))
    errors.push(`Steps (${request.steps}) must be a whole number from 1 to ${MAX_FINETUNE_STEPS}.`);
  if (!wholeIn(request.warmupSteps, 0, request.steps))
    errors.push(
      `Warmup steps (${request.warmupSteps}) must be a whole number from 0 to the run's ${request.steps} steps.`,
    );
  if (!wholeIn(request.batchSize, 1, MAX_FINETUNE_BATCH))
    errors.push(
      `Batch size (${request.batchSize}) must be a whole number from 1 to ${MAX_FINETUNE_BATCH}.`,
    );
  if (!wholeIn(request.seed, 0, 2 ** 32 - 1))
    errors.push(`Seed (${request.seed}) must be a whole number from 0 to 4294967295.`);
  return errors;
}

/** The order of every step of the run: which optimizer takes it. */
function stepOrder(request: FinetuneRequest): LoraOptimizerKind[] {
  const { optimizers, steps } = request;
  if (request.order === 'sequential') return optimizers.flatMap((k) => Array(steps).fill(k));
  return Array.from({ length: steps }, () => optimizers).flat();
}

interface OptimizerRun {
  trainer: FinetuneTrainer;
  source: BatchSampler;
  /** Steps whose result came back (the trainer counts those queued). */
  done: number;
  /** Every loss so far, restored ones included: what a checkpoint carries. */
  losses: { step: number; loss: number }[];
}

/** What a session needs beyond the request: what it checkpoints, and how it continues one. */
export interface FinetuneSessionOptions {
  /** The base's and the text's identity, written into every checkpoint (none: cannot save). */
  record?: { base: FinetuneBaseRecord; data: FinetuneDataRecord };
  /** Continues this checkpoint's run (its request is the session's); the session waits, paused. */
  restore?: FinetuneCheckpointParts;
  /** Checkpoints every N steps of each optimizer (0 or absent: never), between steps. */
  autosaveEvery?: number;
  /** Stores an autosave; a rejection goes to onAutosaveError and the run goes on. */
  onAutosave?: (bytes: Uint8Array, steps: number) => Promise<void>;
  onAutosaveError?: (e: unknown, steps: number) => void;
}

/** Every step of the order, less the first `taken[kind]` of each optimizer (a resumed run's). */
function remainingOrder(
  request: FinetuneRequest,
  taken: ReadonlyMap<LoraOptimizerKind, number>,
): LoraOptimizerKind[] {
  const skip = new Map(taken);
  return stepOrder(request).filter((kind) => {
    const left = skip.get(kind) ?? 0;
    skip.set(kind, left - 1);
    return left <= 0;
  });
}

/**
 * A fine-tuning comparison: one FinetuneTrainer per optimizer, each with its own sampler of the
 * same seed (so the same batches), from the same base and the same initial adapters.
 */
export class FinetuneSession {
  state: FinetuneState = 'running';
  autosaveEvery: number;
  private outbox: FinetunePoint[] = [];
  private lastFlush = 0;
  private startedAt = 0;
  /** Steps timed since the last (re)start, for msPerStep. */
  private timed = 0;
  private loop: Promise<void> | null = null;
  private pending: Promise<void>[] = [];
  private captures: { resolve: (b: Uint8Array) => void; reject: (e: unknown) => void }[] = [];
  private error: string | undefined;
  private nonFinite: FinetunePause | undefined;
  /** The steps not yet queued, in the order they are taken. */
  private readonly order: LoraOptimizerKind[];
  private cursor = 0;

  private constructor(
    private readonly ctx: GpuContext,
    readonly config: GPTConfig,
    readonly request: FinetuneRequest,
    private readonly runs: ReadonlyMap<LoraOptimizerKind, OptimizerRun>,
    private readonly onProgress: (p: FinetuneProgress) => void,
    private readonly options: FinetuneSessionOptions,
  ) {
    this.autosaveEvery = options.autosaveEvery ?? 0;
    const taken = new Map([...runs].map(([kind, run]) => [kind, run.trainer.step]));
    this.order = remainingOrder(request, taken);
  }

  /**
   * Checks the request against the base (nothing is built when it is refused), then builds.
   * With options.restore the request must be the checkpoint's, and so must the blocks' data.
   */
  static async create(
    ctx: GpuContext,
    config: GPTConfig,
    base: Float32Array,
    blocks: Blocks,
    request: FinetuneRequest,
    onProgress: (p: FinetuneProgress) => void,
    options: FinetuneSessionOptions = {},
  ): Promise<FinetuneSession> {
    const errors = finetuneProblems(config, request, base);
    if (errors.length > 0) throw new Error(errors.join('\n'));
    const { restore } = options;
    const runs = new Map<LoraOptimizerKind, OptimizerRun>();
    try {
      for (const [i, kind] of request.optimizers.entries()) {
        const saved = restore?.optimizers[i];
        const tensors = restore?.tensors[kind];
        const source = new BatchSampler(blocks, request.batchSize, request.seed, saved?.sampler);
        const state = saved &&
          tensors && { step: saved.step, adapters: tensors.adapters, optimizer: tensors.state };
        const trainer = await FinetuneTrainer.create(
          ctx,
          config,
          base,
          trainerSettings(kind, request),
          undefined,
          state,
        );
        runs.set(kind, { trainer, source, done: trainer.step, losses: [...(saved?.losses ?? [])] });
      }
    } catch (e) {
      for (const run of runs.values()) run.trainer.destroy();
      throw e;
    }
    const session = new FinetuneSession(ctx, config, request, runs, onProgress, options);
    if (restore) {
      // The restored run waits, paused, with its curves, until it is continued; report() or its
      // first step's progress draws them.
      session.state = session.cursor < session.order.length ? 'paused' : 'done';
      for (const [kind, run] of runs)
        session.outbox.push(...run.losses.map((p) => ({ kind, ...p })));
    }
    return session;
  }

  /** Trains every optimizer to the request's steps, until a pause, a stop or a non-finite step. */
  start(): void {
    if (this.loop && this.state !== 'paused') return;
    if (this.nonFinite) return;
    this.state = 'running';
    this.startedAt = performance.now();
    this.timed = 0;
    this.loop = this.run().catch((e: unknown) => {
      this.state = 'failed';
      this.error = e instanceof Error ? e.message : String(e);
      for (const request of this.captures.splice(0)) request.reject(e);
      this.flush();
    });
  }

  /** Sends the run's state and any points not yet sent (a restored run's curves). */
  report(): void {
    this.flush();
  }

  /** Resolves when the run's loop has ended. */
  async settled(): Promise<void> {
    await this.loop;
  }

  /** Stops queuing steps; resolves once the queued ones have come back. */
  async pause(): Promise<void> {
    if (this.state === 'running') this.state = 'paused';
    await this.loop;
    this.flush();
  }

  /** Ends the run for good; resolves once the queued steps have come back. */
  async stop(): Promise<void> {
    if (this.state === 'running' || this.state === 'paused') this.state = 'stopped';
    await this.loop;
    this.flush();
  }

  /** One step of the next optimizer in the order, while paused (for teaching: watch one update). */
  async stepOnce(): Promise<void> {
    if (this.state !== 'paused' || this.nonFinite || this.cursor >= this.order.length) return;
    await this.loop;
    // As the loop's: a checkpoint asked for meanwhile waits for the step's result.
    this.loop = this.stepNext();
    await this.loop;
  }

  private async stepNext(): Promise<void> {
    this.startedAt = performance.now();
    this.timed = 0;
    const kind = this.order[this.cursor];
    const run = this.runs.get(kind)!;
    const queued = await this.queue(run);
    if (queued) {
      this.cursor++;
      this.record(kind, run, await queued.result);
    }
    if (this.cursor >= this.order.length && this.state === 'paused') this.state = 'done';
    this.flush();
  }

  /** Steps queued so far, every optimizer together. */
  private stepsQueued(): number {
    let n = 0;
    for (const run of this.runs.values()) n += run.trainer.step;
    return n;
  }

  private async run(): Promise<void> {
    const period = this.autosaveEvery * this.runs.size;
    while (this.state === 'running' && this.cursor < this.order.length) {
      const kind = this.order[this.cursor];
      const run = this.runs.get(kind)!;
      const queued = await this.queue(run);
      if (!queued) break;
      this.cursor++;
      this.pending.push(queued.result.then((r) => this.record(kind, run, r)));
      const autosave = period > 0 && this.stepsQueued() % period === 0;
      if (autosave || this.captures.length > 0) {
        // Between two steps: the queued ones come back first, so the checkpoint is whole steps.
        await Promise.all(this.pending.splice(0));
        for (const request of this.captures.splice(0))
          await this.capture().then(request.resolve, request.reject);
        if (autosave && !this.nonFinite) await this.autosave();
      }
    }
    await Promise.all(this.pending.splice(0));
    if (this.state === 'running' && this.cursor >= this.order.length) this.state = 'done';
    for (const request of this.captures.splice(0))
      await this.capture().then(request.resolve, request.reject);
    this.flush();
  }

  // The step's result, or null once its trainer has paused on a non-finite value (the pause is
  // recorded by the step that caused it, which may still be in flight here).
  private async queue(run: OptimizerRun): Promise<{ result: Promise<FinetuneStepResult> } | null> {
    if (run.trainer.paused) return null;
    try {
      const lr = finetuneRateAt(
        run.trainer.settings.optimizer.kind,
        run.trainer.step,
        this.request,
      );
      return await run.trainer.queueStep(run.source, lr);
    } catch (e) {
      if (run.trainer.paused) return null;
      throw e;
    }
  }

  private record(kind: LoraOptimizerKind, run: OptimizerRun, r: FinetuneStepResult): void {
    if (this.nonFinite) return;
    if (r.nonFinite) {
      this.nonFinite = { kind, step: r.step + 1, ...r.nonFinite };
      if (this.state === 'running') this.state = 'paused';
      this.flush();
      return;
    }
    run.done++;
    this.timed++;
    const point = { step: r.step + 1, loss: r.loss };
    run.losses.push(point);
    this.outbox.push({ kind, ...point });
    if (performance.now() - this.lastFlush >= PROGRESS_INTERVAL_MS) this.flush();
  }

  /**
   * The run as fine-tune checkpoint bytes, taken between two steps: a running session captures
   * at its next step boundary and goes on; otherwise at once.
   */
  async checkpoint(): Promise<Uint8Array> {
    if (this.state === 'running')
      return new Promise((resolve, reject) => this.captures.push({ resolve, reject }));
    await this.loop;
    return this.capture();
  }

  /** Steps whose result came back, every optimizer together (what an autosave reports). */
  get stepsDone(): number {
    let n = 0;
    for (const run of this.runs.values()) n += run.done;
    return n;
  }

  private async autosave(): Promise<void> {
    const steps = this.stepsDone;
    try {
      await this.options.onAutosave?.(await this.capture(), steps);
    } catch (e) {
      this.options.onAutosaveError?.(e, steps);
    }
  }

  private async capture(): Promise<Uint8Array> {
    const { record } = this.options;
    if (!record)
      throw new Error('This fine-tune was built without its base record: it cannot be saved.');
    if (this.nonFinite)
      throw new Error(
        `This fine-tune paused on a non-finite value at ${this.nonFinite.kind} step ${this.nonFinite.step}: its state is not worth saving. Resume its last checkpoint with a lower learning rate.`,
      );
    const optimizers: FinetuneOptimizerRecord[] = [];
    const tensors: FinetuneCheckpointParts['tensors'] = {};
    for (const [kind, run] of this.runs) {
      const state = await run.trainer.exportState();
      tensors[kind] = { adapters: state.adapters, state: state.optimizer };
      optimizers.push({
        kind,
        step: state.step,
        sampler: run.source.state,
        losses: [...run.losses],
      });
    }
    return encodeFinetuneCheckpoint({
      ...record,
      settings: this.request,
      optimizers,
      savedAt: new Date().toISOString(),
      tensors,
    });
  }

  private flush(): void {
    this.lastFlush = performance.now();
    const done: Partial<Record<LoraOptimizerKind, number>> = {};
    const rates: Partial<Record<LoraOptimizerKind, number>> = {};
    for (const [kind, run] of this.runs) {
      done[kind] = run.done;
      rates[kind] = rateOf(kind, this.request);
    }
    this.onProgress({
      state: this.state,
      done,
      steps: this.request.steps,
      points: this.outbox.splice(0),
      msPerStep: this.timed > 0 ? (this.lastFlush - this.startedAt) / this.timed : 0,
      rates,
      nonFinite: this.nonFinite,
      error: this.error,
    });
  }

  private trainer(kind: LoraOptimizerKind): FinetuneTrainer {
    const run = this.runs.get(kind);
    if (!run) throw new Error(`This fine-tuning run did not train with ${kind}.`);
    return run.trainer;
  }

  /** Continues `prompt` (token ids) from the base with this optimizer's adapters merged in. */
  async sample(
    kind: LoraOptimizerKind,
    prompt: readonly number[],
    options: SampleOptions,
    seed: number,
  ): Promise<number[]> {
    const merged = await this.trainer(kind).mergedParams();
    const model = new GptModel(this.ctx, this.config, merged, false);
    try {
      const generator = await Generator.create(this.ctx, model);
      try {
        return await generator.generate(prompt, options, new Rng(seed));
      } finally {
        generator.destroy();
      }
    } finally {
      model.destroy();
    }
  }

  /** This optimizer's adapters as a PEFT adapter (adapter_model.safetensors, adapter_config.json). */
  async exportAdapters(
    kind: LoraOptimizerKind,
  ): Promise<{ safetensors: Uint8Array; adapterConfigJson: string }> {
    const trainer = this.trainer(kind);
    const weights = await trainer.readAdapters();
    const pairs = trainer.table.pairs.map((p) => ({
      name: p.name,
      A: weights.slice(p.aOffset, p.aOffset + p.m * p.r),
      B: weights.slice(p.bOffset, p.bOffset + p.n * p.r),
    }));
    const { rank, alpha } = this.request.lora;
    return exportPeftLora(this.config, pairs, { rank, alpha });
  }

  destroy(): void {
    for (const run of this.runs.values()) run.trainer.destroy();
  }
}

/**
 * The invariance demo, one optimizer after the other: the request's run from the seeded adapters
 * (A = 0, B random) and from (A S, B S^-T), the relative difference of Z after each step handed
 * to `onStep` as it is known and to `onSeries` as each optimizer finishes. Both runs of an
 * optimizer see the same batches.
 */
export async function runInvariance(
  ctx: GpuContext,
  config: GPTConfig,
  base: Float32Array,
  blocks: Blocks,
  request: InvarianceRequest,
  onSeries: (series: InvarianceSeries) => void,
  onStep: (step: InvarianceStep) => void = () => {},
): Promise<void> {
  const errors = finetuneProblems(config, request, base);
  if (errors.length > 0) throw new Error(errors.join('\n'));
  const s = invarianceMatrix(request.matrix, request.lora.rank, request.matrixSeed);
  const cond = conditionNumber(s);
  const makeSource = () => new BatchSampler(blocks, request.batchSize, request.seed);
  for (const kind of request.optimizers) {
    const settings = trainerSettings(kind, request);
    const diffs = await zInvariance(
      ctx,
      config,
      base,
      settings,
      s,
      request.steps,
      makeSource,
      undefined,
      (diff, step) => onStep({ kind, step, diff, cond }),
    );
    onSeries({ kind, diffs, cond });
  }
}
