// One forward (eval, for the logits) and one forward + backward (train) of a GPT on the GPU, read
// back: what the model's tests compare with the float64 reference and with PyTorch's fixtures.
import { expect } from 'vitest';
import { createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { submitOps } from '../gpu/ops';
import { readFloats } from '../gpu/readback';
import { groupTokens, TokenGroupBuffers } from '../kernels/tokenGroups';
import { Activations } from '../model/activations';
import type { GPTConfig } from '../model/config';
import { buildBackward, buildForward, GptModel } from '../model/gpt';
import { buildParamTable } from '../model/params';

export interface GptStepResult {
  /** (B, T, vocab) */
  logits: Float32Array;
  /** (B, T) */
  losses: Float32Array;
  meanLoss: number;
  /** the flat gradient buffer, laid out by buildParamTable(config) */
  grads: Float32Array;
}

// params (flat), tokens and targets (B, T) -> logits, losses and gradients, with no GPU error
export async function gptStep(
  ctx: GpuContext,
  config: GPTConfig,
  params: Float32Array,
  tokens: Uint32Array,
  targets: Uint32Array,
  B: number,
  T: number,
): Promise<GptStepResult> {
  const model = new GptModel(ctx, config, params);
  const acts = new Activations(ctx, config, B, T, true);
  const tok = createStorage(ctx, 'tokens', tokens);
  const tgt = createStorage(ctx, 'targets', targets);
  const groups = new TokenGroupBuffers(ctx, B * T);
  groups.write(ctx, groupTokens(tokens));
  submitOps(ctx, await buildForward(ctx, model, acts, tok, tgt, { kind: 'eval' }));
  const logits = await readFloats(ctx, acts.logits, B * T * config.vocabSize);
  const forward = await buildForward(ctx, model, acts, tok, tgt, {
    kind: 'train',
    dlossScale: 1 / (B * T),
  });
  submitOps(ctx, [...forward, ...(await buildBackward(ctx, model, acts, groups))]);
  const losses = await readFloats(ctx, acts.losses, B * T);
  const meanLoss = (await readFloats(ctx, acts.meanLoss, 1))[0];
  const grads = await readFloats(ctx, model.grads, buildParamTable(config).totalLength);
  expect(ctx.takeUncapturedErrors().map((e) => e.message)).toEqual([]);
  for (const b of [tok, tgt]) b.destroy();
  groups.destroy();
  acts.destroy();
  model.destroy();
  return { logits, losses, meanLoss, grads };
}
