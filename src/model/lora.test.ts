import { describe, expect, it } from 'vitest';
import { referenceGpt } from '../reference/gpt';
import { Rng } from '../util/rng';
import type { GPTConfig } from './config';
import { initParams } from './init';
import { buildLoraTable, initLora, mergeScratchLength } from './lora';
import { buildParamTable } from './params';

const config: GPTConfig = { blockSize: 7, vocabSize: 37, nLayer: 2, nHead: 2, nEmbd: 12 };

describe('LoRA table', () => {
  it('lays out A (m, r) then B (n, r) of each chosen layer, in layer and target order', () => {
    const t = buildLoraTable(config, { rank: 3, alpha: 6, targets: ['mlp.c_fc', 'attn.c_attn'] });
    expect(t.pairs.map((p) => `${p.name} ${p.m}x${p.n}`)).toEqual([
      'h.0.attn.c_attn 36x12',
      'h.0.mlp.c_fc 48x12',
      'h.1.attn.c_attn 36x12',
      'h.1.mlp.c_fc 48x12',
    ]);
    expect(t.scale).toBe(2);
    expect(t.count).toBe(2 * (36 + 12 + 48 + 12) * 3);
    expect(mergeScratchLength(t)).toBe(48 * 3);
  });

  it('starts every factor on a 256-byte boundary, with no overlap', () => {
    const t = buildLoraTable(config, {
      rank: 5,
      alpha: 1,
      targets: ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'],
    });
    let end = 0;
    for (const p of t.pairs) {
      for (const [offset, length] of [
        [p.aOffset, p.m * p.r],
        [p.bOffset, p.n * p.r],
      ]) {
        expect(offset % 64).toBe(0);
        expect(offset).toBeGreaterThanOrEqual(end);
        end = offset + length;
      }
    }
    expect(t.totalLength).toBeGreaterThanOrEqual(end);
    expect(t.totalLength % 64).toBe(0);
  });
});

describe('LoRA init', () => {
  const table = buildLoraTable(config, {
    rank: 4,
    alpha: 8,
    targets: ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'],
  });

  it('has A = 0 and every B nonzero within +-1/sqrt(n), the same for the same seed', () => {
    const w = initLora(table, 3);
    expect(initLora(table, 3)).toEqual(w);
    expect(initLora(table, 4)).not.toEqual(w);
    for (const p of table.pairs) {
      expect(w.subarray(p.aOffset, p.aOffset + p.m * p.r).every((x) => x === 0)).toBe(true);
      const b = w.subarray(p.bOffset, p.bOffset + p.n * p.r);
      expect(b.every((x) => x !== 0 && Math.abs(x) <= 1 / Math.sqrt(p.n))).toBe(true);
    }
  });

  it('leaves the base model unchanged at the start (Z = 0), with a gradient for A only', () => {
    const params = initParams(config, buildParamTable(config), 2);
    const rng = new Rng(5);
    const tokens = Array.from({ length: 14 }, () => rng.int(config.vocabSize));
    const targets = Array.from({ length: 14 }, () => rng.int(config.vocabSize));
    const lora = { table, weights: initLora(table, 3) };
    const base = referenceGpt(config, params, tokens, targets, 2, 7);
    const adapted = referenceGpt(config, params, tokens, targets, 2, 7, undefined, lora);
    expect(adapted.logits).toEqual(base.logits);
    // With A = 0 only A learns at first: dB = c x^T (dy A) = 0, dA = c dy^T (x B) != 0.
    for (const p of table.pairs) {
      const dA = adapted.loraGrads.subarray(p.aOffset, p.aOffset + p.m * p.r);
      const dB = adapted.loraGrads.subarray(p.bOffset, p.bOffset + p.n * p.r);
      expect(dB.every((x) => x === 0)).toBe(true);
      expect(dA.some((x) => x !== 0)).toBe(true);
    }
  });
});
