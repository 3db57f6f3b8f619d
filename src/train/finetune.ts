import { createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { type Command, submitOps } from '../gpu/ops';
import { readFloats } from '../gpu/readback';
import { Activations } from '../model/activations';
import type { GPTConfig } from '../model/config';
import { buildBackward, buildForward, GptModel } from '../model/gpt';
import {
  buildLoraTable,
  initLora,
  type LoraSettings,
  type LoraTable,
  mergeScratchLength,
} from '../model/lora';
import { buildMerge, LoraModel } from '../model/loraModel';
import { validateLora } from '../model/validateLora';
import { createLoraOptimizer } from '../optim/createLoraOptimizer';
import {
  frobenius,
  fromArray,
  identity,
  lincomb,
  type Mat,
  matmul,
  pinv,
  transpose,
} from '../optim/linalg';
import {
  decodeNonFinite,
  type LoraOptimizer,
  type LoraOptimizerSettings,
  loraStateLengths,
  type NonFiniteReport,
} from '../optim/loraOptimizer';

import { StepPipeline } from './stepPipeline';
import { type BatchSource, ForwardLoss } from './trainer';

/** A fine-tuning run: adapters, their optimizer, and the batch. */
export interface FinetuneSettings {
  lora: LoraSettings;
  /** Its lr is the step's unless queueStep is given one (the session's schedule). */
  optimizer: LoraOptimizerSettings;
  batchSize: number;
  /** Seeds the adapters' init (A = 0, B random); the data order is the BatchSource's. */
  seed: number;
}

/** A trainer's whole state between two steps: what a fine-tune checkpoint keeps of each optimizer. */
export interface FinetuneTrainerState {
  /** Optimizer steps taken (the schedule's position and the optimizer's bias correction). */
  step: number;
  /** Every A and B, in the LoRA table's layout. */
  adapters: Float32Array;
  /** The optimizer's state buffers, in the order of loraStateLengths. */
  optimizer: Float32Array[];
}

/** What one fine-tuning step measured, read back from the GPU a few steps later. */
export interface FinetuneStepResult {
  step: number;
  loss: number;
  /** Mean loss of each sequence, in the order the source gave the blocks. */
  sequenceLosses: Float32Array;
  blockIds: Uint32Array;
  lr: number;
  tokens: number;
  /** The step's first non-finite value (the trainer is then paused), or null. */
  nonFinite: NonFiniteReport | null;
}

/**
 * LoRA fine-tuning on the GPU: a frozen base (parameters in the params.ts layout, e.g. from
 * Trainer.readParams) with adapters on some of its linear layers. Every step is one command
 * submission: clear the adapter gradients, forward with adapters, backward into dA and dB only,
 * the optimizer's commands; the loss and the optimizer's non-finite status return through a
 * ring of staging buffers without stalling the queue.
 */
export class FinetuneTrainer {
  readonly model: GptModel;
  readonly lora: LoraModel;
  private readonly acts: Activations;
  private readonly tokens: GPUBuffer;
  private readonly targets: GPUBuffer;
  /** B sequence losses, the mean, then the optimizer's status (2 u32 per pair). */
  private readonly stepOut: GPUBuffer;
  private readonly steps: StepPipeline<FinetuneStepResult>;
  private readonly hostInputs: Uint32Array<ArrayBuffer>;
  private readonly hostTargets: Uint32Array<ArrayBuffer>;
  private commands: Command[] = [];
  private evalLoss!: ForwardLoss;
  private optimizer!: LoraOptimizer;
  /** Optimizer steps queued so far. */
  step = 0;
  /** Set by the first step with a non-finite value; queueStep then refuses. */
  paused: (NonFiniteReport & { step: number }) | null = null;

  private constructor(
    private readonly ctx: GpuContext,
    readonly config: GPTConfig,
    readonly settings: FinetuneSettings,
    readonly table: LoraTable,
    base: Float32Array,
    adapters: Float32Array,
  ) {
    const B = settings.batchSize;
    const BT = B * config.blockSize;
    this.model = new GptModel(ctx, config, base, false);
    this.lora = new LoraModel(ctx, table, adapters);
    this.acts = new Activations(ctx, config, B, config.blockSize, true, table);
    this.tokens = createStorage(ctx, 'finetune.tokens', BT);
    this.targets = createStorage(ctx, 'finetune.targets', BT);
    const outLength = B + 1 + 2 * table.pairs.length;
    this.stepOut = createStorage(ctx, 'finetune.stepOut', outLength);
    this.steps = new StepPipeline(ctx, 'finetune.stepOut', this.stepOut, outLength * 4);
    this.hostInputs = new Uint32Array(BT);
    this.hostTargets = new Uint32Array(BT);
  }

  /**
   * Checks the settings and the base (validateLora; the optimizer checks its own settings), then
   * builds every launch of a step once. `adapters` (LoRA table layout) replaces the seeded init.
   */
  static async create(
    ctx: GpuContext,
    config: GPTConfig,
    base: Float32Array,
    settings: FinetuneSettings,
    adapters?: Float32Array,
    restore?: FinetuneTrainerState,
  ): Promise<FinetuneTrainer> {
    const errors = validateLora(config, settings.lora, { params: base });
    if (restore)
      errors.push(...stateProblems(buildLoraTable(config, settings.lora), settings, restore));
    if (!Number.isInteger(settings.batchSize) || settings.batchSize < 1)
      errors.push(`Batch size (${settings.batchSize}) must be a whole number from 1.`);
    if (errors.length > 0) throw new Error(errors.join('\n'));
    const table = buildLoraTable(config, settings.lora);
    const initial = restore?.adapters ?? adapters ?? initLora(table, settings.seed);
    const t = new FinetuneTrainer(ctx, config, settings, table, base, initial);
    try {
      await t.prepare();
      if (restore) t.restoreOptimizer(restore);
    } catch (e) {
      t.destroy();
      throw e;
    }
    return t;
  }

  private async prepare(): Promise<void> {
    const { ctx, model, lora, acts } = this;
    const B = this.settings.batchSize;
    const dlossScale = 1 / (B * this.config.blockSize);
    this.optimizer = await createLoraOptimizer(ctx, lora.pairs, this.settings.optimizer);
    const copy = (from: GPUBuffer, toOffset: number, size: number): Command => ({
      copy: { from, fromOffset: 0, to: this.stepOut, toOffset: toOffset * 4, size: size * 4 },
    });
    const mode = { kind: 'train', dlossScale } as const;
    this.commands = [
      { clear: lora.grads },
      ...(await buildForward(ctx, model, acts, this.tokens, this.targets, mode, lora)),
      ...(await buildBackward(ctx, model, acts, lora)),
      copy(acts.seqLoss, 0, B),
      copy(acts.meanLoss, B, 1),
      ...this.optimizer.commands(),
      copy(this.optimizer.status, B + 1, 2 * lora.pairs.length),
    ];
    const evalForward = await buildForward(
      ctx,
      model,
      acts,
      this.tokens,
      this.targets,
      { kind: 'eval' },
      lora,
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
      this.hostInputs.length,
    );
  }

  /**
   * Queues one step and hands back its result's promise (wrapped, so awaiting the call does not
   * wait for the GPU), unless READBACK_DEPTH steps are in flight: then it first waits for the
   * oldest. Refuses once a step has produced a non-finite value.
   */
  async queueStep(
    source: BatchSource,
    lr = this.settings.optimizer.lr,
  ): Promise<{ result: Promise<FinetuneStepResult> }> {
    await this.steps.reserve();
    if (this.paused) {
      const { step, pair, quantity } = this.paused;
      throw new Error(
        `Fine-tuning is paused: step ${step} produced a non-finite ${quantity} in ${pair}. Start again with a lower learning rate (or gradient clipping on).`,
      );
    }
    const B = this.settings.batchSize;
    const blockIds = new Uint32Array(B);
    source.next(blockIds, this.hostInputs, this.hostTargets);
    const queue = this.ctx.device.queue;
    queue.writeBuffer(this.tokens, 0, this.hostInputs);
    queue.writeBuffer(this.targets, 0, this.hostTargets);
    const step = this.step++;
    this.optimizer.setStep(step, lr);
    const label = `finetune step ${step}`;
    const result = this.steps.submit(label, 'finetune step', this.commands, (bytes) => {
      const f = new Float32Array(bytes);
      const loss = f[B];
      const names = this.table.pairs.map((p) => p.name);
      // A non-finite loss comes from the forward, before any pair's gradient: say so first.
      const nonFinite = Number.isFinite(loss)
        ? decodeNonFinite(new Uint32Array(bytes, (B + 1) * 4), names)
        : { pair: 'the forward pass (every adapted layer)', quantity: 'loss' };
      if (nonFinite && !this.paused) this.paused = { ...nonFinite, step };
      return {
        step,
        loss,
        sequenceLosses: f.slice(0, B),
        blockIds,
        lr,
        tokens: B * this.config.blockSize,
        nonFinite,
      };
    });
    return { result };
  }

  /** Waits for every queued step. */
  drain(): Promise<void> {
    return this.steps.drain();
  }

  /** Mean loss of the adapted model over `batches` batches from `source` (forward only). */
  async evaluate(source: BatchSource, batches: number): Promise<number> {
    await this.drain();
    return this.evalLoss.mean(source, batches);
  }

  /** The state after every queued step: resuming from it continues bit-identically. */
  async exportState(): Promise<FinetuneTrainerState> {
    await this.drain();
    const [adapters, ...optimizer] = await Promise.all([
      readFloats(this.ctx, this.lora.weights, this.table.totalLength),
      ...this.optimizer.state.map((b) => readFloats(this.ctx, b, b.size / 4)),
    ]);
    return { step: this.step, adapters, optimizer };
  }

  private restoreOptimizer(state: FinetuneTrainerState): void {
    const queue = this.ctx.device.queue;
    this.optimizer.state.forEach((b, i) => {
      queue.writeBuffer(b, 0, state.optimizer[i] as Float32Array<ArrayBuffer>);
    });
    this.step = state.step;
  }

  /** Every adapter's A and B, in the LoRA table's layout. */
  async readAdapters(): Promise<Float32Array> {
    await this.drain();
    return readFloats(this.ctx, this.lora.weights, this.table.totalLength);
  }

  /**
   * The base with every adapter merged in, W + (alpha/r) A B^T, in the params.ts layout (for
   * sampling and export). Merged into a copy: the base on the GPU is never changed.
   */
  async mergedParams(): Promise<Float32Array> {
    await this.drain();
    const { ctx, model } = this;
    const n = model.table.totalLength;
    const merged = createStorage(ctx, 'finetune.merged', n);
    const scratch = createStorage(ctx, 'finetune.mergeScratch', mergeScratchLength(this.table));
    try {
      submitOps(ctx, [
        { copy: { from: model.params, fromOffset: 0, to: merged, toOffset: 0, size: n * 4 } },
        ...(await buildMerge(ctx, merged, model.table, this.lora, scratch)),
      ]);
      return await readFloats(ctx, merged, n);
    } finally {
      merged.destroy();
      scratch.destroy();
    }
  }

  destroy(): void {
    this.optimizer?.destroy();
    this.steps.destroy();
    this.evalLoss?.destroy();
    this.acts.destroy();
    this.lora.destroy();
    this.model.destroy();
    for (const b of [this.tokens, this.targets, this.stepOut]) b.destroy();
  }
}

/** What is wrong with a saved state for these adapters and this optimizer (lengths, step). */
function stateProblems(
  table: LoraTable,
  settings: FinetuneSettings,
  state: FinetuneTrainerState,
): string[] {
  const kind = settings.optimizer.kind;
  const errors: string[] = [];
  if (state.adapters.length !== table.totalLength)
    errors.push(
      `The saved adapters have ${state.adapters.length} floats; these LoRA settings need ${table.totalLength}.`,
    );
  const lengths = loraStateLengths(kind, table.pairs);
  if (
    state.optimizer.length !== lengths.length ||
    lengths.some((n, i) => state.optimizer[i].length !== n)
  )
    errors.push(
      `The saved ${kind} state has ${state.optimizer.map((a) => a.length).join(' + ')} floats; these LoRA settings need ${lengths.join(' + ')}.`,
    );
  if (!Number.isInteger(state.step) || state.step < 0)
    errors.push(`The saved step ${state.step} is not a whole number of at least 0.`);
  return errors;
}

/**
 * The same adapters refactored as (A S, B S^-T) for an invertible r x r S: Z = A B^T is
 * unchanged (up to f32 rounding of the new factors). The start of the invariance demo.
 */
export function transformAdapters(table: LoraTable, weights: Float32Array, s: Mat): Float32Array {
  const r = table.rank;
  if (s.rows !== r || s.cols !== r) throw new Error(`S must be ${r} x ${r} (the LoRA rank).`);
  const sInv = pinv(s, 0);
  // pinv drops zero singular values: S S^+ = I only when S is invertible.
  if (!(frobenius(lincomb(1, matmul(s, sInv), -1, identity(r))) < 1e-6))
    throw new Error(
      'S is singular (or nearly so): choose an invertible S, e.g. with a nonzero determinant.',
    );
  const sInvT = transpose(sInv);
  const out = weights.slice();
  for (const p of table.pairs) {
    // x (rows, r) <- x by (r, r)
    const factor = (offset: number, rows: number, by: Mat) =>
      out.set(
        matmul(fromArray(rows, r, weights.subarray(offset, offset + rows * r)), by).data,
        offset,
      );
    factor(p.aOffset, p.m, s);
    factor(p.bOffset, p.n, sInvT);
  }
  return out;
}

/** ||Z1 - Z2||_F / ||Z1||_F over all pairs together, Z = A B^T in float64. */
export function zRelativeDifference(table: LoraTable, w1: Float32Array, w2: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (const p of table.pairs) {
    for (let i = 0; i < p.m; i++) {
      for (let j = 0; j < p.n; j++) {
        let z1 = 0;
        let z2 = 0;
        for (let k = 0; k < p.r; k++) {
          z1 += w1[p.aOffset + i * p.r + k] * w1[p.bOffset + j * p.r + k];
          z2 += w2[p.aOffset + i * p.r + k] * w2[p.bOffset + j * p.r + k];
        }
        diff += (z1 - z2) ** 2;
        norm += z1 ** 2;
      }
    }
  }
  return Math.sqrt(diff) / Math.sqrt(norm);
}

/**
 * The invariance demo: two runs with the same batches, one from the adapters `start` (the
 * seeded init when omitted) and one from (A S, B S^-T); after each of `steps` steps, the relative
 * difference of their Z. A transformation-invariant optimizer (RITE) keeps it at rounding level,
 * Adam does not. `makeSource` must give the same batches each time it is called. `onStep` gets
 * each step's difference (and its 1-based step) as soon as it is known (the demo's chart grows with it).
 */
export async function zInvariance(
  ctx: GpuContext,
  config: GPTConfig,
  base: Float32Array,
  settings: FinetuneSettings,
  s: Mat,
  steps: number,
  makeSource: () => BatchSource,
  start?: Float32Array,
  onStep: (diff: number, step: number) => void = () => {},
): Promise<number[]> {
  const table = buildLoraTable(config, settings.lora);
  const w1 = start ?? initLora(table, settings.seed);
  const w2 = transformAdapters(table, w1, s);
  const runs: FinetuneTrainer[] = [];
  try {
    for (const w of [w1, w2])
      runs.push(await FinetuneTrainer.create(ctx, config, base, settings, w));
    const sources = [makeSource(), makeSource()];
    const out: number[] = [];
    for (let k = 0; k < steps; k++) {
      const queued = await Promise.all(runs.map((t, i) => t.queueStep(sources[i])));
      const results = await Promise.all(queued.map((q) => q.result));
      const bad = results.find((r) => r.nonFinite);
      if (bad?.nonFinite)
        throw new Error(
          `The invariance run stopped at step ${k}: a non-finite ${bad.nonFinite.quantity} in ${bad.nonFinite.pair}. Lower the learning rate.`,
        );
      const [a, b] = await Promise.all(runs.map((t) => t.readAdapters()));
      out.push(zRelativeDifference(table, a, b));
      onStep(out[k], k + 1);
    }
    return out;
  } finally {
    for (const t of runs) t.destroy();
  }
}
