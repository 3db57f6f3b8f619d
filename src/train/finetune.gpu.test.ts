import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchSampler } from '../data/blocks';
import { createStorage } from '../gpu/buffers';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { submitOps } from '../gpu/ops';
import { readFloats } from '../gpu/readback';
import { Activations } from '../model/activations';
import { buildForward, GptModel } from '../model/gpt';
import { buildLoraTable, initLora } from '../model/lora';
import { buildParamTable } from '../model/params';
import { referenceGpt } from '../reference/gpt';
import { normwiseError } from '../selftest/compare';
import {
  blocks,
  config,
  finetuneSettings,
  finetuneSteps,
  lossDrop,
  pretrainedBase,
} from '../test/finetuneFixture';
import { type FinetuneSettings, type FinetuneStepResult, FinetuneTrainer } from './finetune';

const table = buildParamTable(config);
let base: Float32Array;
const settings = finetuneSettings;

describe('FinetuneTrainer', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
    base = await pretrainedBase(ctx);
  });
  afterAll(() => ctx.device.destroy());

  async function run(s: FinetuneSettings, steps: number, adapters?: Float32Array) {
    const trainer = await FinetuneTrainer.create(ctx, config, base, s, adapters);
    const sampler = new BatchSampler(blocks, s.batchSize, 11);
    const pending: Promise<FinetuneStepResult>[] = [];
    for (let i = 0; i < steps; i++) pending.push((await trainer.queueStep(sampler)).result);
    const results = await Promise.all(pending);
    const out = {
      results,
      adapters: await trainer.readAdapters(),
      baseAfter: await readFloats(ctx, trainer.model.params, table.totalLength),
      merged: await trainer.mergedParams(),
      evalLoss: await trainer.evaluate(new BatchSampler(blocks, s.batchSize, 99), 1),
    };
    trainer.destroy();
    expect(ctx.takeUncapturedErrors().map((e) => e.message)).toEqual([]);
    return out;
  }

  it('takes a first Adam step equal to the float64 reference: A moves by -lr sign(dA), B stays', async () => {
    const s = settings('adam', 1e-3);
    const { results, adapters } = await run(s, 1);
    const lora = buildLoraTable(config, s.lora);
    const start = initLora(lora, s.seed);
    const BT = s.batchSize * config.blockSize;
    const inputs = new Uint32Array(BT);
    const targets = new Uint32Array(BT);
    new BatchSampler(blocks, s.batchSize, 11).next(new Uint32Array(4), inputs, targets);
    const ref = referenceGpt(config, base, inputs, targets, s.batchSize, config.blockSize, table, {
      table: lora,
      weights: start,
    });
    // The loss as in trainer.gpu.test.ts (1e-4 relative). Adam's first step is lr g / (|g| + eps)
    // = lr sign(g) wherever |g| >> eps; B has zero gradient (A = 0) so it must not move at all.
    expect(Math.abs(results[0].loss - ref.meanLoss)).toBeLessThan(1e-4 * ref.meanLoss);
    let moved = 0;
    for (const p of lora.pairs) {
      for (let i = p.aOffset; i < p.aOffset + p.m * p.r; i++) {
        const g = ref.loraGrads[i];
        if (Math.abs(g) < 1e-5) continue;
        expect(Math.abs(adapters[i] + s.optimizer.lr * Math.sign(g)), `${p.name} A`).toBeLessThan(
          s.optimizer.lr / 100,
        );
        moved++;
      }
      for (let i = p.bOffset; i < p.bOffset + p.n * p.r; i++) expect(adapters[i]).toBe(start[i]);
    }
    expect(moved).toBeGreaterThan(100);
  });

  it("holds each step's own gradient in dA, dB (cleared every step), equal to the reference", async () => {
    const s = settings('adam', 1e-2);
    const trainer = await FinetuneTrainer.create(ctx, config, base, s);
    const sampler = new BatchSampler(blocks, s.batchSize, 11);
    await trainer.queueStep(sampler);
    const after1 = await trainer.readAdapters();
    await trainer.queueStep(sampler);
    await trainer.drain();
    const grads = await readFloats(ctx, trainer.lora.grads, trainer.table.totalLength);
    trainer.destroy();
    const BT = s.batchSize * config.blockSize;
    const inputs = new Uint32Array(BT);
    const targets = new Uint32Array(BT);
    const replay = new BatchSampler(blocks, s.batchSize, 11);
    for (let i = 0; i < 2; i++) replay.next(new Uint32Array(4), inputs, targets);
    const ref = referenceGpt(config, base, inputs, targets, s.batchSize, config.blockSize, table, {
      table: trainer.table,
      weights: after1,
    });
    // Normwise 1e-4 relative, as lora.gpu.test.ts; a gradient not cleared would carry step 1's.
    for (const p of trainer.table.pairs) {
      for (const [offset, length] of [
        [p.aOffset, p.m * p.r],
        [p.bOffset, p.n * p.r],
      ]) {
        expect(normwiseError(grads, ref.loraGrads, offset, offset + length), p.name).toBeLessThan(
          1e-4,
        );
      }
    }
  });

  it('adapts the base to a new sentence through the adapters alone (Adam)', async () => {
    const results = await finetuneSteps(ctx, base, settings('adam', 1e-2), 20);
    const { first, last } = lossDrop(results);
    // From ~4.7 on the new sentence; 20 steps of rank 4 bring it to ~2.5.
    expect(results.every((r) => r.nonFinite === null)).toBe(true);
    expect(last).toBeLessThan(first - 1);
  });

  it('keeps the base bit-identical, gives bit-identical runs for the same seed, and merges', async () => {
    const s = settings('adam', 1e-2);
    const a = await run(s, 4);
    const b = await run(s, 4);
    expect(new Uint32Array(a.baseAfter.buffer)).toEqual(new Uint32Array(base.buffer));
    expect(b.results.map((r) => r.loss)).toEqual(a.results.map((r) => r.loss));
    expect(new Uint32Array(b.adapters.buffer)).toEqual(new Uint32Array(a.adapters.buffer));
    // The merged model scores the evaluation batch as the adapted one does (1e-4 relative, as the
    // merge in lora.gpu.test.ts).
    const model = new GptModel(ctx, config, a.merged);
    const acts = new Activations(ctx, config, s.batchSize, config.blockSize, false);
    const BT = s.batchSize * config.blockSize;
    const inputs = new Uint32Array(BT);
    const targets = new Uint32Array(BT);
    new BatchSampler(blocks, s.batchSize, 99).next(new Uint32Array(4), inputs, targets);
    const ref = referenceGpt(config, a.merged, inputs, targets, s.batchSize, config.blockSize);
    expect(Math.abs(a.evalLoss - ref.meanLoss)).toBeLessThan(1e-4 * ref.meanLoss);
    const tok = createStorage(ctx, 'tok', inputs);
    const tgt = createStorage(ctx, 'tgt', targets);
    submitOps(ctx, await buildForward(ctx, model, acts, tok, tgt, { kind: 'eval' }));
    const mergedLoss = (await readFloats(ctx, acts.meanLoss, 1))[0];
    expect(Math.abs(mergedLoss - a.evalLoss)).toBeLessThan(1e-4 * a.evalLoss);
    for (const x of [tok, tgt]) x.destroy();
    acts.destroy();
    model.destroy();
  });

  it('pauses on a non-finite step and says which pair and which quantity', async () => {
    const trainer = await FinetuneTrainer.create(
      ctx,
      config,
      base,
      settings('adam', Number.POSITIVE_INFINITY),
    );
    const sampler = new BatchSampler(blocks, 4, 11);
    const first = await (await trainer.queueStep(sampler)).result;
    expect(first.nonFinite).toEqual({ pair: 'h.0.attn.c_attn', quantity: 'factor A' });
    await trainer.drain();
    await expect(trainer.queueStep(sampler)).rejects.toThrow(
      'Fine-tuning is paused: step 0 produced a non-finite factor A in h.0.attn.c_attn.',
    );
    trainer.destroy();
  });

  it('refuses bad LoRA settings and a base of the wrong size before using the GPU', async () => {
    const s = settings('adam', 1e-3);
    await expect(
      FinetuneTrainer.create(ctx, config, base, { ...s, lora: { ...s.lora, rank: 17 } }),
    ).rejects.toThrow('LoRA rank (17) is above the size of attn.c_attn (48 x 16)');
    await expect(FinetuneTrainer.create(ctx, config, base.subarray(64), s)).rejects.toThrow(
      'parameter floats',
    );
  });
});
