// The GPU engine against PyTorch's float64 ground truth (src/reference/fixtures/): the studio's
// initial weights through the real kernels, forward, backward and three AdamW steps of the
// trainer. Tolerances are float32's, derived as in src/model/gpt.gpu.test.ts: a value passes
// through about 4L + 4 stages of dot products of length at most n (4C, or BT for the embedding
// gradients), each adding about n x 2^-24 relative error, amplified by LayerNorm and softmax
// conditioning (~10): for these models under 1e-4 of each tensor's scale.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { initParams } from '../model/init';
import { buildLoraTable, LORA_TARGETS } from '../model/lora';
import { buildParamTable } from '../model/params';
import {
  GPT_FIXTURES,
  LORA_FIXTURE,
  storedValues,
  tensorError,
} from '../reference/pytorchFixtures';
import { finetuneSettings } from '../test/finetuneFixture';
import { gptStep } from '../test/gptStep';
import { FinetuneTrainer } from './finetune';
import { Trainer } from './trainer';

const REL = 1e-4;

describe.each(GPT_FIXTURES.map((f) => [f.name, f] as const))(
  'GPU engine vs PyTorch fixture %s',
  (_, f) => {
    let ctx: GpuContext;
    beforeAll(async () => {
      ctx = await acquireGpu();
    });
    afterAll(() => ctx.device.destroy());
    const table = buildParamTable(f.model);
    const B = f.inputs.length;
    const T = f.model.blockSize;
    const tokens = Uint32Array.from(f.inputs.flat());
    const targets = Uint32Array.from(f.targets.flat());
    const init = () => initParams(f.model, table, f.seed);
    const view = (flat: Float32Array, name: string) => {
      const t = table.byName.get(name)!;
      return flat.subarray(t.offset, t.offset + t.length);
    };

    it('gives the logits, the loss and every gradient', async () => {
      const {
        logits,
        meanLoss: loss,
        grads,
      } = await gptStep(ctx, f.model, init(), tokens, targets, B, T);
      expect(tensorError(logits, f.logits)).toBeLessThan(REL);
      expect(Math.abs(loss - f.loss)).toBeLessThan(REL * f.loss);
      for (const t of table.tensors) {
        expect(tensorError(view(grads, t.name), f.grads[t.name]), t.name).toBeLessThan(REL);
      }
    });

    it("three trainer steps give torch.optim.AdamW's losses, gradient norms and parameters", async () => {
      const { lr, beta1, beta2, weightDecay, gradClip, batchSize } = f.train;
      // min lr = lr: the schedule is the fixture's constant rate.
      const train = {
        batchSize,
        gradAccumSteps: 1,
        maxSteps: 3,
        learningRate: lr,
        minLearningRate: lr,
        warmupSteps: 0,
        weightDecay,
        beta1,
        beta2,
        gradClip,
        seed: f.seed,
        evalInterval: 0,
        evalBatches: 1,
      };
      const trainer = await Trainer.create(ctx, f.model, train, init());
      const source = {
        next(ids: Uint32Array, inputs: Uint32Array, labels: Uint32Array) {
          ids.fill(0);
          inputs.set(tokens);
          labels.set(targets);
        },
      };
      const results = [];
      for (let s = 0; s < 3; s++) results.push((await trainer.queueStep(source)).result);
      const steps = await Promise.all(results);
      const params = await trainer.readParams();
      trainer.destroy();
      steps.forEach((r, s) => {
        expect(Math.abs(r.loss - f.adamw.losses[s])).toBeLessThan(REL * f.adamw.losses[s]);
        expect(Math.abs(r.gradNorm - f.adamw.gradNorms[s])).toBeLessThan(
          REL * f.adamw.gradNorms[s],
        );
      });
      // Each step moves a parameter by lr times Adam's normalised step, whose relative error is the
      // gradient's (~1e-5 here): 3 x lr x 1e-3 bounds it with room. Weight decay alone moves a
      // parameter by lr x wd x |p| ~ 2e-5 a step, so a lost decay mask shows.
      for (const t of table.tensors) {
        const { index, values } = storedValues(f.adamw.params[t.name]);
        const mine = view(params, t.name);
        let worst = 0;
        for (let k = 0; k < values.length; k++)
          worst = Math.max(worst, Math.abs(mine[index(k)] - values[k]));
        expect(worst, t.name).toBeLessThan(3 * lr * 1e-3);
      }
    });
  },
);

describe('GPU LoRA Adam vs PyTorch fixture lora-adam', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
  });
  afterAll(() => ctx.device.destroy());

  it("three fine-tuning steps give torch.optim.Adam's losses and adapters", async () => {
    const f = LORA_FIXTURE;
    const base = initParams(f.model, buildParamTable(f.model), f.seed);
    const loraSettings = { rank: f.rank, alpha: f.alpha, targets: LORA_TARGETS };
    const lora = buildLoraTable(f.model, loraSettings);
    const start = new Float32Array(lora.totalLength);
    for (const p of lora.pairs) {
      start.set(storedValues(f.init[p.name].A).values, p.aOffset);
      start.set(storedValues(f.init[p.name].B).values, p.bOffset);
    }
    const B = f.inputs.length;
    // The fixture's Adam: betas 0.9, 0.999, eps 1e-8, no decay, no clip.
    const settings = {
      ...finetuneSettings('adam', f.lr),
      lora: loraSettings,
      batchSize: B,
      seed: f.seed,
    };
    const trainer = await FinetuneTrainer.create(ctx, f.model, base, settings, start);
    const source = {
      next(ids: Uint32Array, inputs: Uint32Array, labels: Uint32Array) {
        ids.fill(0);
        inputs.set(f.inputs.flat());
        labels.set(f.labels.flat());
      },
    };
    const pending = [];
    for (let s = 0; s < 3; s++) pending.push((await trainer.queueStep(source)).result);
    const results = await Promise.all(pending);
    const adapters = await trainer.readAdapters();
    trainer.destroy();
    results.forEach((r, s) => {
      expect(Math.abs(r.loss - f.losses[s])).toBeLessThan(REL * f.losses[s]);
    });
    // As for AdamW above: 3 steps x lr x 1e-3 (Adam's first step is lr sign(g), exact in f32
    // wherever |g| >> eps).
    for (const p of lora.pairs) {
      for (const [factor, offset] of [
        ['A', p.aOffset],
        ['B', p.bOffset],
      ] as const) {
        const { index, values } = storedValues(f.after[p.name][factor]);
        let worst = 0;
        for (let k = 0; k < values.length; k++) {
          worst = Math.max(worst, Math.abs(adapters[offset + index(k)] - values[k]));
        }
        expect(worst, `${p.name} ${factor}`).toBeLessThan(3 * f.lr * 1e-3);
      }
    }
  });
});
