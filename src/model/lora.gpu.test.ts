import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage } from '../gpu/buffers';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { submitOps } from '../gpu/ops';
import { readFloats } from '../gpu/readback';
import { referenceGpt } from '../reference/gpt';
import { normwiseError } from '../selftest/compare';
import { Rng } from '../util/rng';
import { Activations } from './activations';
import type { GPTConfig } from './config';
import { buildBackward, buildForward, GptModel } from './gpt';
import { initParams } from './init';
import { buildLoraTable, LORA_TARGETS, type LoraTable, mergeScratchLength } from './lora';
import { buildMerge, LoraModel } from './loraModel';
import { buildParamTable } from './params';

// The sizes of gpt.gpu.test.ts: T, C and V are not multiples of any tile; two heads of size 6.
const config: GPTConfig = { blockSize: 7, vocabSize: 37, nLayer: 2, nHead: 2, nEmbd: 12 };
const B = 3;
const T = 7;
const table = buildParamTable(config);

/**
 * Normwise relative tolerance, as derived in gpt.gpu.test.ts: about 6 stages of dot products of
 * length <= 48, each ~3e-6 relative in f32, amplified by LayerNorm/softmax conditioning ~10:
 * 2e-4 worst case, 1e-5 typical. An adapter adds two products of lengths C and r to a layer's
 * forward, and its gradients are dot products over the B*T = 21 rows: the same order, so the
 * same bound. The merged model differs from the adapted one only by rounding W + c A B^T once.
 */
const REL = 1e-4;

describe('GPT with LoRA adapters on the GPU', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
  });
  afterAll(() => ctx.device.destroy());

  function inputs(seed: number, lora: LoraTable) {
    const rng = new Rng(seed);
    const params = initParams(config, table, seed);
    for (const t of table.tensors) {
      for (let i = t.offset; i < t.offset + t.length; i++) params[i] += 0.2 * rng.normal();
    }
    // Both factors nonzero, so dA and dB are both well above rounding.
    const weights = new Float32Array(lora.totalLength);
    for (const p of lora.pairs) {
      weights.set(rng.normalArray(p.m * p.r, 0.3), p.aOffset);
      weights.set(rng.normalArray(p.n * p.r, 0.3), p.bOffset);
    }
    const tokens = Uint32Array.from({ length: B * T }, () => rng.int(config.vocabSize));
    const targets = Uint32Array.from({ length: B * T }, () => rng.int(config.vocabSize));
    return { params, weights, tokens, targets };
  }

  async function run(lora: LoraTable, seed: number) {
    const { params, weights, tokens, targets } = inputs(seed, lora);
    const model = new GptModel(ctx, config, params, false);
    const adapters = new LoraModel(ctx, lora, weights);
    const acts = new Activations(ctx, config, B, T, true, lora);
    const tok = createStorage(ctx, 'tokens', tokens);
    const tgt = createStorage(ctx, 'targets', targets);
    submitOps(ctx, await buildForward(ctx, model, acts, tok, tgt, { kind: 'eval' }, adapters));
    const logits = await readFloats(ctx, acts.logits, B * T * config.vocabSize);
    const forward = await buildForward(
      ctx,
      model,
      acts,
      tok,
      tgt,
      { kind: 'train', dlossScale: 1 / (B * T) },
      adapters,
    );
    submitOps(ctx, [...forward, ...(await buildBackward(ctx, model, acts, adapters))]);
    const meanLoss = (await readFloats(ctx, acts.meanLoss, 1))[0];
    const loraGrads = await readFloats(ctx, adapters.grads, lora.totalLength);
    const paramsAfter = await readFloats(ctx, model.params, table.totalLength);

    // The merged copy, run as a plain model.
    const merged = createStorage(ctx, 'merged', params);
    const scratch = createStorage(ctx, 'merge.scratch', mergeScratchLength(lora));
    submitOps(ctx, await buildMerge(ctx, merged, table, adapters, scratch));
    const mergedModel = new GptModel(ctx, config, await readFloats(ctx, merged, table.totalLength));
    const plainActs = new Activations(ctx, config, B, T, false);
    submitOps(ctx, await buildForward(ctx, mergedModel, plainActs, tok, tgt, { kind: 'eval' }));
    const mergedLogits = await readFloats(ctx, plainActs.logits, B * T * config.vocabSize);

    expect(ctx.takeUncapturedErrors().map((e) => e.message)).toEqual([]);
    for (const b of [tok, tgt, merged, scratch]) b.destroy();
    for (const x of [acts, plainActs, adapters, model, mergedModel]) x.destroy();
    const ref = referenceGpt(config, params, tokens, targets, B, T, table, {
      table: lora,
      weights,
    });
    return { params, logits, meanLoss, loraGrads, paramsAfter, mergedLogits, ref };
  }

  for (const rank of [1, 3]) {
    const lora = buildLoraTable(config, { rank, alpha: 2 * rank + 1, targets: LORA_TARGETS });

    it(`matches the float64 reference in logits, loss, dA and dB of every pair at r = ${rank}`, async () => {
      const { logits, meanLoss, loraGrads, ref } = await run(lora, 10 + rank);
      expect(normwiseError(logits, ref.logits)).toBeLessThan(REL);
      expect(Math.abs(meanLoss - ref.meanLoss)).toBeLessThan(REL * ref.meanLoss);
      for (const p of lora.pairs) {
        const a = normwiseError(loraGrads, ref.loraGrads, p.aOffset, p.aOffset + p.m * p.r);
        const b = normwiseError(loraGrads, ref.loraGrads, p.bOffset, p.bOffset + p.n * p.r);
        expect(a, `dA of ${p.name}`).toBeLessThan(REL);
        expect(b, `dB of ${p.name}`).toBeLessThan(REL);
      }
    });

    it(`leaves the base bit-identical and merges to the same logits at r = ${rank}`, async () => {
      const { params, paramsAfter, logits, mergedLogits, ref } = await run(lora, 20 + rank);
      expect(new Uint32Array(paramsAfter.buffer)).toEqual(new Uint32Array(params.buffer));
      expect(normwiseError(mergedLogits, logits)).toBeLessThan(REL);
      expect(normwiseError(mergedLogits, ref.logits)).toBeLessThan(REL);
    });
  }
});
