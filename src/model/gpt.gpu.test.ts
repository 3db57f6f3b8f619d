import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { referenceGpt } from '../reference/gpt';
import { normwiseError } from '../selftest/compare';
import { gptStep } from '../test/gptStep';
import { Rng } from '../util/rng';
import type { GPTConfig } from './config';
import { initParams } from './init';
import { buildParamTable } from './params';

// Awkward sizes: T, C and V are not multiples of any tile; two heads of size 6.
const config: GPTConfig = { blockSize: 7, vocabSize: 37, nLayer: 2, nHead: 2, nEmbd: 12 };
const B = 3;
const T = 7;
const table = buildParamTable(config);

/**
 * Tolerance for the whole model, per tensor, normwise: ||gpu - ref|| <= 1e-4 ||ref|| (+1e-7).
 * Each value passes through about 2 L + 2 = 6 matmul/layernorm/attention stages, each adding
 * relative error about (dot length, at most 4C = 48 or V = 37) x 2^-24 ~ 3e-6, amplified by the
 * LayerNorm/softmax conditioning (rstd up to ~10 here): 6 x 3e-6 x 10 ~ 2e-4 worst case,
 * ~1e-5 typical in norm. Losses are held to the same relative bound.
 */
const REL = 1e-4;

describe('GPT on the GPU', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
  });
  afterAll(() => ctx.device.destroy());

  const run = (params: Float32Array, tokens: Uint32Array, targets: Uint32Array) =>
    gptStep(ctx, config, params, tokens, targets, B, T);

  function inputs(seed: number) {
    const rng = new Rng(seed);
    const params = initParams(config, table, seed);
    // Weights larger than GPT-2's 0.02 so every gradient is well above rounding.
    for (const t of table.tensors) {
      for (let i = t.offset; i < t.offset + t.length; i++) params[i] += 0.2 * rng.normal();
    }
    const tokens = Uint32Array.from({ length: B * T }, () => rng.int(config.vocabSize));
    tokens[3] = tokens[4] = tokens[10]; // repeated tokens exercise the grouped embedding gradient
    const targets = Uint32Array.from({ length: B * T }, () => rng.int(config.vocabSize));
    return { params, tokens, targets };
  }

  it('matches the float64 reference in logits, loss and every parameter gradient', async () => {
    const { params, tokens, targets } = inputs(3);
    const gpu = await run(params, tokens, targets);
    const ref = referenceGpt(config, params, tokens, targets, B, T, table);
    expect(normwiseError(gpu.logits, ref.logits)).toBeLessThan(REL);
    expect(normwiseError(gpu.losses, ref.losses)).toBeLessThan(REL);
    expect(Math.abs(gpu.meanLoss - ref.meanLoss)).toBeLessThan(REL * ref.meanLoss);
    for (const t of table.tensors) {
      const e = normwiseError(gpu.grads, ref.grads, t.offset, t.offset + t.length);
      expect(e, `gradient of ${t.name}`).toBeLessThan(REL);
    }
  });

  it('gives bit-identical loss and gradients when run twice', async () => {
    const { params, tokens, targets } = inputs(4);
    const a = await run(params, tokens, targets);
    const b = await run(params, tokens, targets);
    expect(b.meanLoss).toBe(a.meanLoss);
    expect(new Uint32Array(b.grads.buffer)).toEqual(new Uint32Array(a.grads.buffer));
  });
});
