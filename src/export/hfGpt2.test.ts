import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GPTConfig } from '../model/config';
import { initParams } from '../model/init';
import { buildParamTable } from '../model/params';
import { referenceGpt } from '../reference/gpt';
import { exportHfGpt2, hfConfig, importHfGpt2 } from './hfGpt2';
import { hfForward } from './hfReference';
import { readSafetensors, tensorFloats, writeSafetensors } from './safetensors';

const tiny: GPTConfig = { blockSize: 3, vocabSize: 256, nLayer: 2, nHead: 2, nEmbd: 4 };
const table = buildParamTable(tiny);

/** Known values: the k-th parameter (table order, padding skipped) is k * 0.001. */
function indexParams(): Float32Array {
  const p = new Float32Array(table.totalLength);
  let k = 0;
  for (const t of table.tensors) for (let i = 0; i < t.length; i++) p[t.offset + i] = k++ * 0.001;
  return p;
}
/** The index the value of parameter `name`[i] was made from. */
function indexOf(name: string, i: number): number {
  let k = 0;
  for (const t of table.tensors) {
    if (t.name === name) return k + i;
    k += t.length;
  }
  throw new Error(name);
}

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const bits = (f: Float32Array) => new Uint32Array(f.buffer, f.byteOffset, f.length);

interface RawTensor {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** A safetensors file of any dtypes, as the hub's writers make them. */
function rawSafetensors(tensors: readonly RawTensor[]): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', n_head: '2' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = {
      dtype: t.dtype,
      shape: t.shape,
      data_offsets: [offset, offset + t.bytes.length],
    };
    offset += t.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}

/** The exported tiny model's tensors as raw F32 entries. */
function exportedRaw(safetensors: Uint8Array): RawTensor[] {
  return [...readSafetensors(safetensors).tensors].map(([name, t]) => ({
    name,
    dtype: t.dtype,
    shape: t.shape,
    bytes: t.bytes.slice(),
  }));
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    expect((e as Error).message).toMatch(/ Nothing was imported\.$/);
    return (e as Error).message;
  }
  throw new Error('the import was accepted');
}

describe('Hugging Face GPT-2 export', () => {
  it('matches the golden model.safetensors and config.json byte for byte (UPDATE_GOLDEN=1 rewrites them)', () => {
    const { safetensors, configJson } = exportHfGpt2(indexParams(), tiny);
    if (process.env.UPDATE_GOLDEN === '1') {
      writeFileSync(fixture('gpt2-tiny.safetensors'), safetensors);
      writeFileSync(fixture('config.json'), configJson);
    }
    expect(new Uint8Array(readFileSync(fixture('gpt2-tiny.safetensors')))).toEqual(safetensors);
    expect(readFileSync(fixture('config.json'), 'utf8')).toBe(configJson);
  });

  it('writes HF names and Conv1D (in, out) matrices, read with a plain JSON parse of the golden file', () => {
    const bytes = new Uint8Array(readFileSync(fixture('gpt2-tiny.safetensors')));
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const n = Number(view.getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.__metadata__).toEqual({ format: 'pt', n_head: '2' });
    expect(Object.keys(header).filter((k) => k !== '__metadata__')).toHaveLength(2 + 12 * 2 + 2);
    expect(header['lm_head.weight']).toBeUndefined();
    const at = (name: string, flat: number) =>
      view.getFloat32(8 + n + header[name].data_offsets[0] + flat * 4, true);
    const C = tiny.nEmbd;
    expect(header['wte.weight'].shape).toEqual([256, C]);
    expect(at('wte.weight', 5 * C + 3)).toBe(Math.fround(indexOf('wte', 5 * C + 3) * 0.001));
    // HF c_attn.weight (C, 3C)[i][o] is the studio's c_attn.weight (3C, C)[o][i].
    expect(header['h.1.attn.c_attn.weight'].shape).toEqual([C, 3 * C]);
    for (const [i, o] of [
      [0, 0],
      [1, 7],
      [3, 11],
      [2, 5],
    ]) {
      expect(at('h.1.attn.c_attn.weight', i * 3 * C + o)).toBe(
        Math.fround(indexOf('h.1.attn.c_attn.weight', o * C + i) * 0.001),
      );
    }
    expect(header['h.0.mlp.c_proj.weight'].shape).toEqual([4 * C, C]);
    expect(at('h.0.mlp.c_proj.weight', 9 * C + 2)).toBe(
      Math.fround(indexOf('h.0.mlp.c_proj.weight', 2 * 4 * C + 9) * 0.001),
    );
    expect(at('h.0.mlp.c_fc.bias', 13)).toBe(Math.fround(indexOf('h.0.mlp.c_fc.bias', 13) * 0.001));
  });

  it('writes a config.json transformers reads as this GPT-2', () => {
    const c = JSON.parse(readFileSync(fixture('config.json'), 'utf8'));
    expect(c).toMatchObject({
      model_type: 'gpt2',
      architectures: ['GPT2LMHeadModel'],
      vocab_size: 256,
      n_positions: 3,
      n_ctx: 3,
      n_embd: 4,
      n_layer: 2,
      n_head: 2,
      activation_function: 'gelu_new',
      layer_norm_epsilon: 1e-5,
      tie_word_embeddings: true,
      eos_token_id: 255,
    });
    expect(hfConfig({ ...tiny, vocabSize: 50257 }).eos_token_id).toBe(50256);
  });

  it("computes the studio's logits when run as HF runs it (Conv1D x W + b, q|k|v split, heads)", () => {
    const config: GPTConfig = { blockSize: 5, vocabSize: 256, nLayer: 2, nHead: 2, nEmbd: 8 };
    const params = initParams(config, buildParamTable(config), 3);
    const tokens = [72, 101, 108, 108, 111];
    const ref = referenceGpt(config, params, tokens, [0, 0, 0, 0, 0], 1, 5);
    const hf = readSafetensors(exportHfGpt2(params, config).safetensors).tensors;
    const logits = hfForward(config, (name) => tensorFloats(name, hf.get(name)!), tokens);
    // Both in float64 from the same f32 weights, differing only in summation order: ~1e-15
    // relative per op; the logits are O(0.1), so 1e-12 is far below any layout error.
    let worst = 0;
    for (let i = 0; i < logits.length; i++)
      worst = Math.max(worst, Math.abs(logits[i] - ref.logits[i]));
    expect(worst).toBeLessThan(1e-12);
  });
});

describe('Hugging Face GPT-2 import', () => {
  const exported = exportHfGpt2(indexParams(), tiny);

  it('gives back the exported parameters bit for bit, with config.json or from the file alone', () => {
    for (const json of [exported.configJson, undefined]) {
      const r = importHfGpt2(exported.safetensors, json);
      expect(r.config).toEqual(tiny);
      expect(bits(r.params)).toEqual(bits(indexParams()));
      expect(r.parameterCount).toBe(table.count);
      expect(r.bytes).toBe(table.count * 4);
    }
  });

  it('accepts "transformer."-prefixed names, a tied lm_head and the causal-mask buffers of hub files', () => {
    const file = readSafetensors(exported.safetensors);
    const tensors = [...file.tensors].map(([name, t]) => ({
      name: `transformer.${name}`,
      shape: t.shape,
      data: tensorFloats(name, t),
    }));
    const wte = file.tensors.get('wte.weight')!;
    tensors.push({
      name: 'lm_head.weight',
      shape: wte.shape,
      data: tensorFloats('wte.weight', wte),
    });
    tensors.push({ name: 'h.0.attn.bias', shape: [1, 1, 3, 3], data: new Float32Array(9).fill(1) });
    const r = importHfGpt2(writeSafetensors(tensors, { format: 'pt' }), exported.configJson);
    expect(bits(r.params)).toEqual(bits(indexParams()));
  });

  it("refuses a file whose shapes do not match config.json, e.g. GPT-2 124M's", () => {
    const gpt2 = JSON.stringify({
      model_type: 'gpt2',
      vocab_size: 50257,
      n_positions: 1024,
      n_embd: 768,
      n_layer: 12,
      n_head: 12,
    });
    expect(refusal(() => importHfGpt2(exported.safetensors, gpt2))).toBe(
      'wte.weight has shape [256, 4] in the file, but config.json (n_embd 768, vocab_size 50257, n_positions 1024) needs [50257, 768]. Nothing was imported.',
    );
  });

  it('refuses a config.json with more layers than the file', () => {
    const json = JSON.stringify({ ...JSON.parse(exported.configJson), n_layer: 3 });
    expect(refusal(() => importHfGpt2(exported.safetensors, json))).toMatch(
      /^The file has no h\.2\.ln_1\.weight, which a GPT-2 with n_layer 3 \(from config\.json\) needs/,
    );
  });

  it("refuses what the studio cannot run, saying the model's size", () => {
    const big = JSON.stringify({
      model_type: 'gpt2',
      vocab_size: 50257,
      n_positions: 2048,
      n_embd: 768,
      n_layer: 12,
      n_head: 12,
    });
    expect(refusal(() => importHfGpt2(exported.safetensors, big))).toBe(
      "The studio cannot run this model (n_layer 12, n_head 12, n_embd 768, 125,226,240 parameters, 500.9 MB in f32): its context of 2048 positions is over the studio's 1,024. Nothing was imported.",
    );
    const odd = JSON.stringify({ ...JSON.parse(exported.configJson), vocab_size: 1000 });
    expect(refusal(() => importHfGpt2(exported.safetensors, odd))).toMatch(
      /its vocabulary of 1,000 matches neither of the studio's tokenizers/,
    );
  });

  it('refuses a config.json for another computation', () => {
    const relu = JSON.stringify({
      ...JSON.parse(exported.configJson),
      activation_function: 'relu',
    });
    expect(refusal(() => importHfGpt2(exported.safetensors, relu))).toMatch(
      /^config\.json sets activation_function "relu" \(the studio's GELU is the tanh one, "gelu_new"\)/,
    );
    const llama = JSON.stringify({ model_type: 'llama' });
    expect(refusal(() => importHfGpt2(exported.safetensors, llama))).toMatch(
      /^config\.json's model_type is "llama"; the studio imports GPT-2/,
    );
  });

  it('refuses an untied output head and tensors GPT-2 does not have', () => {
    const file = readSafetensors(exported.safetensors);
    const base = [...file.tensors].map(([name, t]) => ({
      name,
      shape: t.shape,
      data: tensorFloats(name, t),
    }));
    const wte = file.tensors.get('wte.weight')!;
    const head = {
      name: 'lm_head.weight',
      shape: wte.shape,
      data: tensorFloats('wte.weight', wte).map((x) => x + 1),
    };
    expect(
      refusal(() => importHfGpt2(writeSafetensors([...base, head]), exported.configJson)),
    ).toMatch(/has an output head \(lm_head\.weight\) of its own/);
    const extra = { name: 'h.0.attn.q_norm.weight', shape: [4], data: new Float32Array(4) };
    expect(
      refusal(() => importHfGpt2(writeSafetensors([...base, extra]), exported.configJson)),
    ).toMatch(
      /^The file holds tensors a GPT-2 with n_layer 2 does not have \(h\.0\.attn\.q_norm\.weight\)/,
    );
  });

  it('asks for config.json when the file cannot say its number of heads', () => {
    const file = readSafetensors(exported.safetensors);
    const bare = writeSafetensors(
      [...file.tensors].map(([name, t]) => ({ name, shape: t.shape, data: tensorFloats(name, t) })),
    );
    expect(refusal(() => importHfGpt2(bare))).toMatch(
      /does not say its number of heads, and n_embd 4 is not a multiple of GPT-2's head size 64: give its config\.json too\./,
    );
  });

  it('accepts causal-mask buffers of any dtype (BOOL, U8, F32) and skips them', () => {
    const tensors = exportedRaw(exported.safetensors);
    tensors.push(
      {
        name: 'h.0.attn.bias',
        dtype: 'BOOL',
        shape: [1, 1, 3, 3],
        bytes: new Uint8Array(9).fill(1),
      },
      { name: 'h.1.attn.bias', dtype: 'U8', shape: [1, 1, 3, 3], bytes: new Uint8Array(9).fill(1) },
      { name: 'h.0.attn.masked_bias', dtype: 'F32', shape: [], bytes: new Uint8Array(4) },
      { name: 'h.1.attn.masked_bias', dtype: 'I64', shape: [], bytes: new Uint8Array(8) },
    );
    const r = importHfGpt2(rawSafetensors(tensors), exported.configJson);
    expect(bits(r.params)).toEqual(bits(indexParams()));
  });

  it('refuses a non-float dtype for a tensor it needs, naming the tensor', () => {
    const tensors = exportedRaw(exported.safetensors).map((t) =>
      t.name === 'h.1.ln_2.bias' ? { ...t, dtype: 'I32' } : t,
    );
    expect(refusal(() => importHfGpt2(rawSafetensors(tensors), exported.configJson))).toBe(
      'Tensor "h.1.ln_2.bias" has dtype I32, which the studio cannot use as weights (it reads F32, F16, BF16, F64). Nothing was imported.',
    );
  });

  it('takes lm_head.weight as the tied embedding when the file has no wte.weight', () => {
    const tensors = exportedRaw(exported.safetensors).map((t) =>
      t.name === 'wte.weight' ? { ...t, name: 'lm_head.weight' } : t,
    );
    for (const json of [exported.configJson, undefined]) {
      const r = importHfGpt2(rawSafetensors(tensors), json);
      expect(bits(r.params)).toEqual(bits(indexParams()));
    }
  });

  it('refuses a config.json with tie_word_embeddings false (a separate output head)', () => {
    const file = readSafetensors(exported.safetensors);
    const wte = file.tensors.get('wte.weight')!;
    const head = {
      name: 'lm_head.weight',
      shape: wte.shape,
      data: tensorFloats('wte.weight', wte),
    };
    const base = [...file.tensors].map(([name, t]) => ({
      name,
      shape: t.shape,
      data: tensorFloats(name, t),
    }));
    const untied = JSON.stringify({
      ...JSON.parse(exported.configJson),
      tie_word_embeddings: false,
    });
    for (const bytes of [writeSafetensors([...base, head]), exported.safetensors]) {
      expect(refusal(() => importHfGpt2(bytes, untied))).toBe(
        'config.json sets tie_word_embeddings false: this model has an output head (lm_head.weight) separate from its token embedding (wte), and the studio ties the two, so it cannot run this model. Nothing was imported.',
      );
    }
  });

  it('refuses a config.json of a huge model before sizing anything from it (issue 14)', () => {
    const base = JSON.parse(exported.configJson);
    for (const n of [1e9, 1e7, 2 ** 53, 1e308]) {
      const started = performance.now();
      expect(
        refusal(() => importHfGpt2(exported.safetensors, JSON.stringify({ ...base, n_layer: n }))),
      ).toBe(
        `config.json's n_layer is ${n}, not a whole number from 1 to 1,000. Nothing was imported.`,
      );
      expect(performance.now() - started).toBeLessThan(2000);
    }
    const wide = {
      ...base,
      vocab_size: 50257,
      n_positions: 1024,
      n_embd: 8192,
      n_head: 64,
      n_layer: 48,
    };
    expect(refusal(() => importHfGpt2(exported.safetensors, JSON.stringify(wide)))).toBe(
      'wte.weight has shape [256, 4] in the file, but config.json (n_embd 8192, vocab_size 50257, n_positions 1024) needs [50257, 8192]. Nothing was imported.',
    );
    const infinite = exported.configJson.replace('"n_layer": 2', '"n_layer": 1e400');
    expect(refusal(() => importHfGpt2(exported.safetensors, infinite))).toMatch(
      /^config\.json's n_layer is Infinity, not a whole number/,
    );
  });

  it('quotes a bounded preview of a deeply nested config.json value', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const json = exported.configJson.replace('"model_type": "gpt2"', `"model_type": ${deep}`);
    expect(refusal(() => importHfGpt2(exported.safetensors, json))).toBe(
      `config.json's model_type is a list of 1 item; the studio imports GPT-2 ("gpt2") only. Nothing was imported.`,
    );
  });
});
