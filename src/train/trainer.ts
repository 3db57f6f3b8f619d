import { type BufferSlice, createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { type Command, encodeCommands } from '../gpu/ops';
import { ReadbackRing, readFloats } from '../gpu/readback';
import { type AdamwOp, adamw } from '../kernels/adamw';
import { packDecayMask } from '../kernels/decayMask';
import { gradNorm, gradNormPartialsLength } from '../kernels/gradnorm';
import { groupTokens, TokenGroupBuffers, type TokenGroups } from '../kernels/tokenGroups';
import { Activations } from '../model/activations';
import type { GPTConfig, TrainConfig } from '../model/config';
import { buildBackward, buildForward, GptModel } from '../model/gpt';
import { learningRateAt } from './lrSchedule';
import { StepPipeline } from './stepPipeline';

/** Where batches come from (a BatchSampler): block ids (B) and their inputs, targets (B,T). */
export interface BatchSource {
  next(ids: Uint32Array, inputs: Uint32Array, targets: Uint32Array): void;
}

/** What one optimizer step measured, read back from the GPU a few steps later. */
export interface StepResult {
  step: number;
  loss: number;
  /** Mean loss of each sequence of each micro-batch, in the order the source gave the blocks. */
  sequenceLosses: Float32Array;
  blockIds: Uint32Array;
  gradNorm: number;
  lr: number;
  tokens: number;
}

/**
 * Everything the GPU holds that the next step depends on: with it (and the data source's
 * position) a new trainer continues bit-identically. Arrays are laid out by the parameter table.
 */
export interface TrainerState {
  /** Optimizer steps taken (the learning-rate position and AdamW's bias-correction count). */
  step: number;
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

export interface TrainerOptions {
  /** Continue from this state instead of fresh moments at step 0 (its params replace the initial ones). */
  restore?: TrainerState;
}

/** u32 slices bound per micro-batch start at multiples of 64 words (256 bytes). */
const pad64 = (n: number) => Math.ceil(n / 64) * 64;

/**
 * The pretraining loop's GPU side: every step is one command submission built from launches
 * prepared once; losses return through a ring of staging buffers without stalling the queue.
 */
/** The batch buffers a forward-only loss pass fills: the trainer's own, between its steps. */
export interface LossBatch {
  readonly hostInputs: Uint32Array<ArrayBuffer>;
  readonly hostTargets: Uint32Array<ArrayBuffer>;
  readonly tokens: GPUBuffer;
  readonly targets: GPUBuffer;
  readonly meanLoss: GPUBuffer; // (1) written by the forward
}

/** Mean loss of a forward-only pass over batches of BT tokens: evaluation for both trainers. */
export class ForwardLoss {
  private readonly ids: Uint32Array;
  private readonly ring: ReadbackRing;

  constructor(
    private readonly ctx: GpuContext,
    private readonly batch: LossBatch,
    private readonly forward: readonly Command[],
    batchSize: number,
    private readonly BT: number,
  ) {
    this.ids = new Uint32Array(batchSize);
    this.ring = new ReadbackRing(ctx, 'evalLoss', 4, 1);
  }

  async mean(source: BatchSource, batches: number): Promise<number> {
    const { ctx, batch, BT } = this;
    let total = 0;
    for (let i = 0; i < batches; i++) {
      source.next(this.ids, batch.hostInputs.subarray(0, BT), batch.hostTargets.subarray(0, BT));
      ctx.device.queue.writeBuffer(batch.tokens, 0, batch.hostInputs, 0, BT);
      ctx.device.queue.writeBuffer(batch.targets, 0, batch.hostTargets, 0, BT);
      const encoder = ctx.device.createCommandEncoder({ label: 'eval' });
      encodeCommands(encoder, this.forward, 'eval');
      const slot = this.ring.encodeCopy(encoder, batch.meanLoss);
      ctx.device.queue.submit([encoder.finish()]);
      total += new Float32Array(await this.ring.read(slot))[0];
    }
    return total / batches;
  }

  destroy(): void {
    this.ring.destroy();
  }
}

export class Trainer {
  readonly model: GptModel;
  private readonly m: GPUBuffer;
  private readonly v: GPUBuffer;
  /** Read back only to find a non-finite tensor after a diverged step. */
  readonly acts: Activations;
  private readonly tokens: GPUBuffer;
  private readonly targets: GPUBuffer;
  private readonly stepLosses: GPUBuffer;
  private readonly steps: StepPipeline<StepResult>;
  private readonly hostInputs: Uint32Array<ArrayBuffer>;
  private readonly hostTargets: Uint32Array<ArrayBuffer>;
  private readonly groupsHost: TokenGroups[];
  private readonly groupBuffers: TokenGroupBuffers[];
  private readonly owned: GPUBuffer[] = [];
  private commands: Command[] = [];
  private evalLoss!: ForwardLoss;
  private optimizer!: AdamwOp;
  /** Optimizer steps taken so far. */
  step = 0;

  private constructor(
    private readonly ctx: GpuContext,
    readonly config: GPTConfig,
    readonly train: TrainConfig,
    initialParams: Float32Array,
  ) {
    const { batchSize: B, gradAccumSteps: A } = train;
    const T = config.blockSize;
    this.model = new GptModel(ctx, config, initialParams);
    const own = (b: GPUBuffer) => {
      this.owned.push(b);
      return b;
    };
    const n = this.model.table.totalLength;
    this.m = own(createStorage(ctx, 'adam.m', n));
    this.v = own(createStorage(ctx, 'adam.v', n));
    this.acts = new Activations(ctx, config, B, T, true);
    this.tokens = own(createStorage(ctx, 'tokens', A * pad64(B * T)));
    this.targets = own(createStorage(ctx, 'targets', A * pad64(B * T)));
    // Per micro-batch: B sequence losses and the mean; then the gradient norm and clip scale.
    this.stepLosses = own(createStorage(ctx, 'stepLosses', A * (B + 1) + 2));
    this.steps = new StepPipeline(ctx, 'stepLosses', this.stepLosses, (A * (B + 1) + 2) * 4);
    this.hostInputs = new Uint32Array(A * pad64(B * T));
    this.hostTargets = new Uint32Array(A * pad64(B * T));
    this.groupsHost = [];
    this.groupBuffers = Array.from({ length: A }, () => new TokenGroupBuffers(ctx, B * T));
  }

  static async create(
    ctx: GpuContext,
    config: GPTConfig,
    train: TrainConfig,
    initialParams: Float32Array,
    options: TrainerOptions = {},
  ): Promise<Trainer> {
    const t = new Trainer(ctx, config, train, options.restore?.params ?? initialParams);
    if (options.restore) await t.importState(options.restore);
    await t.prepare();
    return t;
  }

  private slice(buffer: GPUBuffer, microStep: number): BufferSlice {
    const BT = this.train.batchSize * this.config.blockSize;
    return { buffer, offset: microStep * pad64(BT) * 4, size: BT * 4 };
  }

  /** Builds every launch of a step once; `step()` only encodes them. */
  private async prepare(): Promise<void> {
    const { ctx, model, acts, train } = this;
    const { batchSize: B, gradAccumSteps: A } = train;
    const T = this.config.blockSize;
    const n = model.table.totalLength;
    const dlossScale = 1 / (B * T * A);
    const commands: Command[] = [{ clear: model.grads }];
    for (let a = 0; a < A; a++) {
      const tok = this.slice(this.tokens, a);
      const tgt = this.slice(this.targets, a);
      commands.push(
        ...(await buildForward(ctx, model, acts, tok, tgt, { kind: 'train', dlossScale })),
      );
      commands.push(...(await buildBackward(ctx, model, acts, this.groupBuffers[a])));
      commands.push(
        {
          copy: {
            from: acts.seqLoss,
            fromOffset: 0,
            to: this.stepLosses,
            toOffset: a * B * 4,
            size: B * 4,
          },
        },
        {
          copy: {
            from: acts.meanLoss,
            fromOffset: 0,
            to: this.stepLosses,
            toOffset: (A * B + a) * 4,
            size: 4,
          },
        },
      );
    }
    const norm = this.own(createStorage(ctx, 'gradNorm', 2));
    const partials = this.own(createStorage(ctx, 'gradNorm.partials', gradNormPartialsLength(n)));
    const decayRanges = model.table.tensors.filter((t) => t.decay);
    const mask = this.own(createStorage(ctx, 'decayMask', packDecayMask(n, decayRanges)));
    this.optimizer = await adamw(
      ctx,
      model.params,
      this.m,
      this.v,
      model.grads,
      norm,
      mask,
      n,
      this.hyper(0),
    );
    commands.push(
      await gradNorm(ctx, norm, partials, model.grads, n, train.gradClip),
      this.optimizer,
      {
        copy: {
          from: norm,
          fromOffset: 0,
          to: this.stepLosses,
          toOffset: A * (B + 1) * 4,
          size: 8,
        },
      },
    );
    this.commands = commands;
    const evalForward = await buildForward(
      ctx,
      model,
      acts,
      this.slice(this.tokens, 0),
      this.slice(this.targets, 0),
      { kind: 'eval' },
    );
    this.evalLoss = new ForwardLoss(
      ctx,
      {
        hostInputs: this.hostInputs,
        hostTargets: this.hostTargets,
        tokens: this.tokens,
        targets: this.targets,
        meanLoss: acts.meanLoss,
      },
      evalForward,
      B,
      B * T,
    );
  }

  private own(b: GPUBuffer): GPUBuffer {
    this.owned.push(b);
    return b;
  }

  private hyper(step: number) {
    const t = this.train;
    return {
      lr: learningRateAt(step, t),
      beta1: t.beta1,
      beta2: t.beta2,
      eps: 1e-8,
      weightDecay: t.weightDecay,
      step: step + 1,
    };
  }

  /**
   * Queues one optimizer step and hands back its result's promise (wrapped, so awaiting the
   * call does not wait for the GPU), unless READBACK_DEPTH steps are already in flight: then it
   * first waits for the oldest.
   */
  async queueStep(source: BatchSource): Promise<{ result: Promise<StepResult> }> {
    await this.steps.reserve();
    const { batchSize: B, gradAccumSteps: A } = this.train;
    const BT = B * this.config.blockSize;
    const stride = pad64(BT);
    // Handed to the step's result, so one small array per step is the price of exact ids.
    const blockIds = new Uint32Array(A * B);
    for (let a = 0; a < A; a++) {
      const inputs = this.hostInputs.subarray(a * stride, a * stride + BT);
      source.next(
        blockIds.subarray(a * B, (a + 1) * B),
        inputs,
        this.hostTargets.subarray(a * stride, a * stride + BT),
      );
      this.groupsHost[a] = groupTokens(inputs, this.groupsHost[a]);
      this.groupBuffers[a].write(this.ctx, this.groupsHost[a]);
    }
    const queue = this.ctx.device.queue;
    queue.writeBuffer(this.tokens, 0, this.hostInputs);
    queue.writeBuffer(this.targets, 0, this.hostTargets);
    const step = this.step++;
    const hp = this.hyper(step);
    this.optimizer.setStep(hp);
    const result = this.steps.submit(`step ${step}`, 'train step', this.commands, (bytes) => {
      const f = new Float32Array(bytes);
      let loss = 0;
      for (let a = 0; a < A; a++) loss += f[A * B + a];
      return {
        step,
        loss: loss / A,
        sequenceLosses: f.slice(0, A * B),
        blockIds,
        gradNorm: f[A * (B + 1)],
        lr: hp.lr,
        tokens: A * BT,
      };
    });
    return { result };
  }

  /** Waits for every queued step. */
  drain(): Promise<void> {
    return this.steps.drain();
  }

  /** Mean validation loss over `batches` batches from `source` (forward only). */
  async evaluate(source: BatchSource, batches: number): Promise<number> {
    await this.drain();
    return this.evalLoss.mean(source, batches);
  }

  /** The current parameters, copied back to the CPU (for checkpoints, tests, sampling). */
  async readParams(): Promise<Float32Array> {
    await this.drain();
    return readFloats(this.ctx, this.model.params, this.model.table.totalLength);
  }

  /** Params, moments and step, read back after the queued steps finish. */
  async exportState(): Promise<TrainerState> {
    await this.drain();
    const n = this.model.table.totalLength;
    const [params, m, v] = await Promise.all([
      readFloats(this.ctx, this.model.params, n),
      readFloats(this.ctx, this.m, n),
      readFloats(this.ctx, this.v, n),
    ]);
    return { step: this.step, params, m, v };
  }

  /** Replaces params, moments and step (after the queued steps finish); lengths are checked first. */
  async importState(state: TrainerState): Promise<void> {
    const n = this.model.table.totalLength;
    for (const [name, a] of [
      ['params', state.params],
      ['m', state.m],
      ['v', state.v],
    ] as const) {
      if (a.length !== n)
        throw new Error(`The saved ${name} has ${a.length} floats; this model needs ${n}.`);
    }
    if (!Number.isInteger(state.step) || state.step < 0)
      throw new Error(`The saved step ${state.step} is not a whole number of at least 0.`);
    await this.drain();
    const queue = this.ctx.device.queue;
    for (const [buffer, a] of [
      [this.model.params, state.params],
      [this.m, state.m],
      [this.v, state.v],
    ] as const) {
      queue.writeBuffer(buffer, 0, a.buffer, a.byteOffset, a.byteLength);
    }
    this.step = state.step;
  }

  destroy(): void {
    this.steps.destroy();
    this.evalLoss?.destroy();
    this.acts.destroy();
    this.model.destroy();
    for (const b of this.owned) b.destroy();
    for (const g of this.groupBuffers) g.destroy();
  }
}
