// The float64 reference against PyTorch (float64, its own modules and AdamW): the same initial
// weights, logits, loss, every gradient, and three AdamW steps. Both sides are float64, so they
// may differ only by summation order: a value that passes through D stages of dot products of
// length at most n carries relative error about D x n x 2^-53. With n <= 50257 (the BPE head) and
// D ~ 4L + 4 <= 12 stages: 12 x 5e4 x 1.1e-16 ~ 7e-11. The bound is 1e-9 of each tensor's scale.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { initParams } from '../model/init';
import { buildLoraTable, LORA_TARGETS } from '../model/lora';
import { buildParamTable, type ParamTable } from '../model/params';
import type { Mat } from '../optim/linalg';
import { adamDefaults, adamStep, createAdamState } from '../optim/reference/adam';
import { adamw } from './adamw';
import { referenceGpt } from './gpt';
import { gradNorm } from './gradnorm';
import {
  GPT_FIXTURES,
  type GptFixture,
  LORA_FIXTURE,
  storedValues,
  tensorError,
} from './pytorchFixtures';

const TOL = 1e-9;

const view = (flat: Float64Array, table: ParamTable, name: string) => {
  const t = table.byName.get(name)!;
  return flat.subarray(t.offset, t.offset + t.length);
};

function setup(f: GptFixture) {
  const table = buildParamTable(f.model);
  const init = initParams(f.model, table, f.seed);
  const B = f.inputs.length;
  const T = f.model.blockSize;
  return { table, init, B, T, inputs: f.inputs.flat(), targets: f.targets.flat() };
}

describe.each(GPT_FIXTURES.map((f) => [f.name, f] as const))('PyTorch fixture %s', (_, f) => {
  const { table, init, B, T, inputs, targets } = setup(f);

  it("starts from the studio's initial weights (the fixture's init reproduced bit for bit)", () => {
    const digest = createHash('sha256').update(new Uint8Array(init.buffer)).digest('hex');
    expect(digest).toBe(f.initSha256);
  });

  it('the float64 reference gives the logits, the loss and every gradient', () => {
    const ref = referenceGpt(f.model, init, inputs, targets, B, T, table);
    expect(tensorError(ref.logits, f.logits)).toBeLessThan(TOL);
    expect(Math.abs(ref.meanLoss - f.loss)).toBeLessThan(TOL * f.loss);
    for (const t of table.tensors) {
      expect(tensorError(view(ref.grads, table, t.name), f.grads[t.name]), t.name).toBeLessThan(
        TOL,
      );
    }
  });

  it("three reference AdamW steps (decay mask, clip) give torch.optim.AdamW's losses and parameters", () => {
    const n = table.totalLength;
    const params = Float64Array.from(init);
    const m = new Float64Array(n);
    const v = new Float64Array(n);
    // Packed here bit by bit: the reference shares no code with the kernels' packDecayMask.
    const mask = new Uint32Array(Math.ceil(n / 32));
    for (const t of table.tensors.filter((t) => t.decay)) {
      for (let i = t.offset; i < t.offset + t.length; i++) mask[i >>> 5] |= 1 << (i & 31);
    }
    const { lr, beta1, beta2, weightDecay, gradClip } = f.train;
    for (let s = 0; s < 3; s++) {
      const ref = referenceGpt(f.model, params, inputs, targets, B, T, table);
      const norm = new Float64Array(2);
      gradNorm(norm, ref.grads, gradClip);
      expect(Math.abs(ref.meanLoss - f.adamw.losses[s])).toBeLessThan(TOL * f.adamw.losses[s]);
      expect(Math.abs(norm[0] - f.adamw.gradNorms[s])).toBeLessThan(TOL * f.adamw.gradNorms[s]);
      adamw(params, m, v, ref.grads, norm, mask, {
        lr,
        beta1,
        beta2,
        eps: 1e-8,
        weightDecay,
        step: s + 1,
      });
    }
    // Adam divides by sqrt(v): an element whose gradient is near eps turns a 1e-16 difference
    // into one of up to lr x 1e-8 / eps ~ lr; none is that small here, so the bound stays TOL
    // of the tensor's scale (each step moves a parameter by at most lr = 1e-2).
    for (const t of table.tensors) {
      expect(tensorError(view(params, table, t.name), f.adamw.params[t.name]), t.name).toBeLessThan(
        TOL,
      );
    }
  });
});

describe('PyTorch fixture lora-adam', () => {
  it("the reference's LoRA forward, backward and Adam give torch.optim.Adam's losses and adapters", () => {
    const f = LORA_FIXTURE;
    const table = buildParamTable(f.model);
    const base = initParams(f.model, table, f.seed);
    const lora = buildLoraTable(f.model, { rank: f.rank, alpha: f.alpha, targets: LORA_TARGETS });
    expect(lora.pairs.map((p) => p.name)).toEqual(f.targets);
    const weights = new Float64Array(lora.totalLength);
    const grads = new Float64Array(lora.totalLength);
    const mat = (flat: Float64Array, offset: number, rows: number, cols: number): Mat => ({
      rows,
      cols,
      data: flat.subarray(offset, offset + rows * cols),
    });
    for (const p of lora.pairs) {
      weights.set(storedValues(f.init[p.name].A).values, p.aOffset);
      weights.set(storedValues(f.init[p.name].B).values, p.bOffset);
    }
    const pairs = lora.pairs.map((p) => ({
      a: mat(weights, p.aOffset, p.m, p.r),
      b: mat(weights, p.bOffset, p.n, p.r),
    }));
    const state = createAdamState(pairs);
    const B = f.inputs.length;
    for (let s = 0; s < 3; s++) {
      const ref = referenceGpt(
        f.model,
        base,
        f.inputs.flat(),
        f.labels.flat(),
        B,
        f.model.blockSize,
        table,
        {
          table: lora,
          weights,
        },
      );
      expect(Math.abs(ref.meanLoss - f.losses[s])).toBeLessThan(TOL * f.losses[s]);
      grads.set(ref.loraGrads);
      const g = lora.pairs.map((p) => ({
        da: mat(grads, p.aOffset, p.m, p.r),
        db: mat(grads, p.bOffset, p.n, p.r),
      }));
      adamStep(pairs, g, state, { lr: f.lr, ...adamDefaults });
    }
    lora.pairs.forEach((p, i) => {
      expect(tensorError(pairs[i].a.data, f.after[p.name].A), `${p.name} A`).toBeLessThan(TOL);
      expect(tensorError(pairs[i].b.data, f.after[p.name].B), `${p.name} B`).toBeLessThan(TOL);
    });
  });
});
