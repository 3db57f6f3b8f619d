import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GPTConfig } from '../model/config';
import { exportPeftLora, type LoraFactors } from './peftLora';
import { readSafetensors, tensorFloats } from './safetensors';

const tiny: GPTConfig = { blockSize: 3, vocabSize: 256, nLayer: 2, nHead: 2, nEmbd: 4 };
const r = 2;
const C = tiny.nEmbd;
const known = (n: number, base: number) =>
  Float32Array.from({ length: n }, (_, i) => (base + i) * 0.001);
const pairs: LoraFactors[] = [
  { name: 'h.0.attn.c_attn', A: known(3 * C * r, 0), B: known(C * r, 100) },
  { name: 'h.1.mlp.c_proj', A: known(C * r, 200), B: known(4 * C * r, 300) },
];
const options = { rank: r, alpha: 8, baseModel: null };
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

describe('PEFT LoRA export', () => {
  it('matches the golden adapter_model.safetensors and adapter_config.json (UPDATE_GOLDEN=1 rewrites them)', () => {
    const { safetensors, adapterConfigJson } = exportPeftLora(tiny, pairs, options);
    if (process.env.UPDATE_GOLDEN === '1') {
      writeFileSync(fixture('lora-tiny.safetensors'), safetensors);
      writeFileSync(fixture('adapter_config.json'), adapterConfigJson);
    }
    expect(new Uint8Array(readFileSync(fixture('lora-tiny.safetensors')))).toEqual(safetensors);
    expect(readFileSync(fixture('adapter_config.json'), 'utf8')).toBe(adapterConfigJson);
  });

  it('names and shapes the factors as PEFT does: lora_A (r, in), lora_B (out, r)', () => {
    const file = readSafetensors(new Uint8Array(readFileSync(fixture('lora-tiny.safetensors'))));
    const shapes = Object.fromEntries([...file.tensors].map(([name, t]) => [name, t.shape]));
    expect(shapes).toEqual({
      'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight': [r, C],
      'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight': [3 * C, r],
      'base_model.model.transformer.h.1.mlp.c_proj.lora_A.weight': [r, 4 * C],
      'base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight': [C, r],
    });
    expect(file.metadata).toEqual({ format: 'pt' });
    const config = JSON.parse(readFileSync(fixture('adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({
      peft_type: 'LORA',
      r: 2,
      lora_alpha: 8,
      fan_in_fan_out: true,
      target_modules: ['transformer.h.0.attn.c_attn', 'transformer.h.1.mlp.c_proj'],
    });
  });

  it("gives PEFT's update (alpha / r) lora_B lora_A equal to the studio's (alpha / r) A B^T", () => {
    const file = readSafetensors(exportPeftLora(tiny, pairs, options).safetensors);
    for (const p of pairs) {
      const nameA = `base_model.model.transformer.${p.name}.lora_A.weight`;
      const nameB = `base_model.model.transformer.${p.name}.lora_B.weight`;
      const [tA, tB] = [file.tensors.get(nameA)!, file.tensors.get(nameB)!];
      const [lA, lB] = [tensorFloats(nameA, tA), tensorFloats(nameB, tB)];
      const [out, inp] = [tB.shape[0], tA.shape[1]];
      for (let o = 0; o < out; o++)
        for (let i = 0; i < inp; i++) {
          let peft = 0;
          let ours = 0;
          for (let k = 0; k < r; k++) {
            peft += lB[o * r + k] * lA[k * inp + i];
            ours += p.A[o * r + k] * p.B[i * r + k];
          }
          // The same products in the same order: exactly equal.
          expect(peft).toBe(ours);
        }
    }
  });

  it('refuses a layer the model does not have and factors of the wrong size', () => {
    expect(() => exportPeftLora(tiny, [{ ...pairs[0], name: 'h.2.attn.c_attn' }], options)).toThrow(
      '"h.2.attn.c_attn" is not an adaptable layer of this model (h.0 to h.1, then attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj).',
    );
    expect(() => exportPeftLora(tiny, [{ ...pairs[0], B: known(3, 0) }], options)).toThrow(
      'h.0.attn.c_attn needs A (12, 2) and B (4, 2), but has 24 and 3 values.',
    );
  });
});
