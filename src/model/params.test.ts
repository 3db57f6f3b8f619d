import { describe, expect, it } from 'vitest';
import { presetById } from './config';
import { initParams } from './init';
import { buildParamTable, PARAM_ALIGN, paramBufferLength, tensor } from './params';

const tiny = presetById('tiny').model;

describe('parameter table', () => {
  it('counts GPT-2 parameters: 124,439,808 for the 124M configuration', () => {
    const t = buildParamTable({
      blockSize: 1024,
      vocabSize: 50257,
      nLayer: 12,
      nHead: 12,
      nEmbd: 768,
    });
    expect(t.count).toBe(124_439_808);
  });
  it('aligns every tensor to 256 bytes and never overlaps two tensors', () => {
    const t = buildParamTable(tiny);
    let end = 0;
    for (const p of t.tensors) {
      expect(p.offset % PARAM_ALIGN).toBe(0);
      expect(p.offset).toBeGreaterThanOrEqual(end);
      end = p.offset + p.length;
    }
    expect(t.totalLength).toBeGreaterThanOrEqual(end);
  });
  it('decays matrices and embeddings only', () => {
    const t = buildParamTable(tiny);
    expect(tensor(t, 'wte').decay).toBe(true);
    expect(tensor(t, 'h.0.attn.c_attn.weight').decay).toBe(true);
    expect(tensor(t, 'h.0.attn.c_attn.bias').decay).toBe(false);
    expect(tensor(t, 'h.1.ln_2.weight').decay).toBe(false);
  });
  // Mutant caught: a layer's padding left out (the count instead of the aligned length).
  it('sizes the flat buffer without building the table, exactly as the table does', () => {
    for (const c of [
      tiny,
      presetById('small').model,
      { ...tiny, nLayer: 3, nEmbd: 36, nHead: 3 },
    ]) {
      expect(paramBufferLength(c)).toBe(buildParamTable(c).totalLength);
    }
  });
  it('names a missing tensor', () => {
    expect(() => tensor(buildParamTable(tiny), 'h.9.ln_1.weight')).toThrow(/h\.9\.ln_1\.weight/);
  });
});

describe('initParams', () => {
  const table = buildParamTable(tiny);
  const p = initParams(tiny, table, 1);
  const view = (name: string) => {
    const t = tensor(table, name);
    return p.subarray(t.offset, t.offset + t.length);
  };
  const std = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);

  it('is the same for the same seed and differs for another', () => {
    expect(initParams(tiny, table, 1)).toEqual(p);
    expect(initParams(tiny, table, 2)).not.toEqual(p);
  });
  it('sets LayerNorm gains to 1 and biases to 0', () => {
    expect(view('h.0.ln_1.weight').every((v) => v === 1)).toBe(true);
    expect(view('h.0.mlp.c_fc.bias').every((v) => v === 0)).toBe(true);
  });
  it('draws matrices with std 0.02 and residual projections with std 0.02 / sqrt(2 n_layer)', () => {
    expect(std(view('wte'))).toBeCloseTo(0.02, 2);
    expect(std(view('h.0.mlp.c_proj.weight'))).toBeCloseTo(0.02 / Math.sqrt(4), 2);
  });
});
