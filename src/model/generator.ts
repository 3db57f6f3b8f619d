import { createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { encodeCommands, type KernelOp } from '../gpu/ops';
import { ReadbackRing } from '../gpu/readback';
import type { Rng } from '../util/rng';
import { Activations } from './activations';
import { buildForward, type GptModel } from './gpt';
import { sampleToken } from './sampling';

export interface SampleOptions {
  maxNewTokens: number;
  temperature: number;
  topK: number;
}

/**
 * Autoregressive sampling from a model's current parameters: one (1, block_size) forward per
 * new token over the last block_size tokens; only the logits of the last position come back.
 */
export class Generator {
  private readonly acts: Activations;
  private readonly tokens: GPUBuffer;
  private readonly ring: ReadbackRing;
  private readonly host: Uint32Array<ArrayBuffer>;
  private ops: KernelOp[] = [];

  private constructor(
    private readonly ctx: GpuContext,
    private readonly model: GptModel,
  ) {
    const T = model.config.blockSize;
    this.acts = new Activations(ctx, model.config, 1, T, false);
    this.tokens = createStorage(ctx, 'sample.tokens', T);
    this.ring = new ReadbackRing(ctx, 'sample.logits', model.config.vocabSize * 4, 1);
    this.host = new Uint32Array(T);
  }

  static async create(ctx: GpuContext, model: GptModel): Promise<Generator> {
    const g = new Generator(ctx, model);
    g.ops = await buildForward(ctx, model, g.acts, g.tokens, g.tokens, { kind: 'logits' });
    return g;
  }

  /** Continues `prompt` (token ids, at least one) and returns only the new ids. */
  async generate(prompt: readonly number[], options: SampleOptions, rng: Rng): Promise<number[]> {
    if (prompt.length === 0) throw new Error('Sampling needs a prompt of at least one token.');
    const { blockSize: T, vocabSize: V } = this.model.config;
    const context = [...prompt];
    const out: number[] = [];
    for (let i = 0; i < options.maxNewTokens; i++) {
      // Causal attention: positions after the context cannot change the last position's logits.
      const window = context.slice(-T);
      this.host.fill(0);
      this.host.set(window);
      this.ctx.device.queue.writeBuffer(this.tokens, 0, this.host);
      const encoder = this.ctx.device.createCommandEncoder({ label: 'sample' });
      encodeCommands(encoder, this.ops, 'sample');
      const slot = this.ring.encodeCopy(encoder, this.acts.logits, (window.length - 1) * V * 4);
      this.ctx.device.queue.submit([encoder.finish()]);
      const logits = new Float32Array(await this.ring.read(slot));
      const next = sampleToken(logits, options.temperature, options.topK, rng);
      context.push(next);
      out.push(next);
    }
    return out;
  }

  destroy(): void {
    this.acts.destroy();
    this.tokens.destroy();
    this.ring.destroy();
  }
}
