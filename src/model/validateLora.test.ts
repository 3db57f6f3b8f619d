import { describe, expect, it } from 'vitest';
import type { GPTConfig } from './config';
import { initParams } from './init';
import { LORA_TARGETS, type LoraSettings, type LoraTarget } from './lora';
import { buildParamTable } from './params';
import { validateLora } from './validateLora';

const config: GPTConfig = { blockSize: 16, vocabSize: 256, nLayer: 2, nHead: 2, nEmbd: 12 };
const good: LoraSettings = { rank: 4, alpha: 8, targets: LORA_TARGETS };
const params = initParams(config, buildParamTable(config), 1);

describe('validateLora', () => {
  it('accepts rank 1 to min(m, n), a positive alpha and a matching base', () => {
    expect(validateLora(config, good, { config, params })).toEqual([]);
    expect(validateLora(config, { ...good, rank: 1 })).toEqual([]);
    expect(validateLora(config, { ...good, rank: 12 })).toEqual([]);
  });

  it('refuses a rank above a target layer’s size, naming the layer and the largest rank', () => {
    const errors = validateLora(config, { ...good, rank: 13 });
    // Every target of this model has min(out, in) = n_embd = 12.
    expect(errors).toHaveLength(4);
    expect(errors[0]).toContain('attn.c_attn (36 x 12)');
    expect(errors[0]).toContain('a rank of 12 or less');
    expect(validateLora(config, { ...good, rank: 13, targets: ['mlp.c_fc'] })).toHaveLength(1);
  });

  it('refuses a rank above 32 or not a whole number from 1', () => {
    const wide = { ...config, nEmbd: 64 };
    expect(validateLora(wide, { ...good, rank: 33 })).toEqual([
      'LoRA rank (33) is above 32, the largest the optimizers keep in one workgroup: choose 32 or less.',
    ]);
    expect(validateLora(wide, { ...good, rank: 32 })).toEqual([]);
    expect(validateLora(config, { ...good, rank: 0 })[0]).toContain('from 1 to 32');
    expect(validateLora(config, { ...good, rank: 2.5 })[0]).toContain('from 1 to 32');
  });

  it('refuses alpha <= 0 or not a number', () => {
    for (const alpha of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const errors = validateLora(config, { ...good, alpha });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('must be a number above 0');
    }
  });

  it('refuses no target layer and an unknown one', () => {
    expect(validateLora(config, { ...good, targets: [] })[0]).toContain('No layer to adapt');
    const odd = ['attn.c_attn', 'lm_head'] as unknown as LoraTarget[];
    expect(validateLora(config, { ...good, targets: odd })).toEqual([
      'Unknown LoRA target "lm_head": choose from attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj.',
    ]);
  });

  it('refuses a base whose shapes do not match, saying which sizes differ', () => {
    const other = { ...config, nEmbd: 16, nLayer: 3 };
    const errors = validateLora(config, good, { config: other, params });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('n_layer 3 (settings: 2), n_embd 16 (settings: 12)');
    const short = validateLora(config, good, { params: params.subarray(1) });
    expect(short[0]).toContain(`has ${params.length - 1} parameter floats`);
  });

  it('refuses a base holding NaN, naming the first tensor', () => {
    const table = buildParamTable(config);
    const broken = params.slice();
    const t = table.byName.get('h.1.mlp.c_fc.weight');
    if (!t) throw new Error('no tensor');
    broken[t.offset + 5] = Number.NaN;
    expect(validateLora(config, good, { params: broken })[0]).toContain(
      'first in h.1.mlp.c_fc.weight',
    );
  });
});
