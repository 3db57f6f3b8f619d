import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage } from '../gpu/buffers';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { submitOps } from '../gpu/ops';
import { readFloats } from '../gpu/readback';
import { Activations } from '../model/activations';
import type { GPTConfig } from '../model/config';
import { buildForward, GptModel } from '../model/gpt';
import { initParams } from '../model/init';
import { buildParamTable } from '../model/params';
import { normwiseError } from '../selftest/compare';
import { Rng } from '../util/rng';
import { exportHfGpt2, importHfGpt2 } from './hfGpt2';
import { hfForward } from './hfReference';
import { readSafetensors, tensorFloats } from './safetensors';

// Awkward sizes (T, C not multiples of a tile); the byte vocabulary, as import requires.
const config: GPTConfig = { blockSize: 7, vocabSize: 256, nLayer: 2, nHead: 2, nEmbd: 12 };
const T = 7;

/**
 * Normwise tolerance of GPU logits against the float64 HF forward, as in gpt.gpu.test.ts: about
 * 2 L + 2 = 6 f32 stages of relative error (dot length up to 4C = 48) x 2^-24 ~ 3e-6 each,
 * amplified by LayerNorm/softmax conditioning (~10): ~2e-4 worst case, ~1e-5 typical.
 */
const REL = 1e-4;

describe('Hugging Face GPT-2 round trip on the GPU', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
  });
  afterAll(() => ctx.device.destroy());

  async function logits(params: Float32Array, tokens: Uint32Array): Promise<Float32Array> {
    const model = new GptModel(ctx, config, params);
    const acts = new Activations(ctx, config, 1, T, false);
    const tok = createStorage(ctx, 'tokens', tokens);
    const tgt = createStorage(ctx, 'targets', new Uint32Array(T));
    submitOps(ctx, await buildForward(ctx, model, acts, tok, tgt, { kind: 'eval' }));
    const out = await readFloats(ctx, acts.logits, T * config.vocabSize);
    expect(ctx.takeUncapturedErrors().map((e) => e.message)).toEqual([]);
    for (const b of [tok, tgt]) b.destroy();
    acts.destroy();
    model.destroy();
    return out;
  }

  it('gives the same logits after export and import, and the logits HF computes from the file', async () => {
    const table = buildParamTable(config);
    const rng = new Rng(5);
    const params = initParams(config, table, 5);
    // Weights larger than GPT-2's 0.02 so the layers shape the logits well above rounding.
    for (const t of table.tensors)
      for (let i = t.offset; i < t.offset + t.length; i++) params[i] += 0.2 * rng.normal();
    const tokens = Uint32Array.from({ length: T }, () => rng.int(config.vocabSize));
    const { safetensors, configJson } = exportHfGpt2(params, config);
    const imported = importHfGpt2(safetensors, configJson);

    const before = await logits(params, tokens);
    const after = await logits(imported.params, tokens);
    expect(new Uint32Array(after.buffer)).toEqual(new Uint32Array(before.buffer));

    const hf = readSafetensors(safetensors).tensors;
    const ref = hfForward(config, (name) => tensorFloats(name, hf.get(name)!), [...tokens]);
    expect(normwiseError(after, ref)).toBeLessThan(REL);
  });
});
