// A studio model as a Hugging Face GPT-2 checkpoint (model.safetensors + config.json) and back.
//
// Names: as in the hub's own gpt2 checkpoint (openai-community/gpt2 model.safetensors): "wte.weight",
// "h.0.attn.c_attn.weight", ..., without the "transformer." prefix. GPT2LMHeadModel.from_pretrained
// adds its base-model prefix to such names (that is how the hub's gpt2 loads), and GPT2Model
// loads them as they are. Import accepts both spellings.
// lm_head.weight: omitted. The studio's output head is wte (tie_word_embeddings: true), and
// from_pretrained ties lm_head to wte after loading; writing it would store the largest tensor twice.
// Layout: HF's GPT-2 uses Conv1D, whose weight is (in, out): the transpose of the studio's
// (out, in) matrices, so c_attn, attn.c_proj, c_fc and mlp.c_proj are transposed both ways.
// Embeddings, biases and LayerNorm parameters are the same in both.
import type { GPTConfig } from '../model/config';
import { buildParamTable } from '../model/params';
import { clip, preview, previewList } from '../util/preview';
import {
  type NamedTensor,
  type ReadTensor,
  readSafetensors,
  tensorFloats,
  writeSafetensors,
} from './safetensors';

/** GPT-2's LayerNorm epsilon, the one the studio's layernorm kernel uses. */
const LAYER_NORM_EPS = 1e-5;
const CONV1D = ['attn.c_attn.weight', 'attn.c_proj.weight', 'mlp.c_fc.weight', 'mlp.c_proj.weight'];
const isConv1d = (name: string) => CONV1D.some((s) => name.endsWith(`.${s}`));
/** The vocabularies of the studio's tokenizers: bytes and GPT-2 BPE. */
const VOCABS = [256, 50257];
/** The hub's GPT-2 sizes all use 64 channels per head. */
const GPT2_HEAD_SIZE = 64;

/** The studio's tensor name as written to the file. */
const hfName = (name: string) => (name === 'wte' || name === 'wpe' ? `${name}.weight` : name);

// out (cols, rows) = a (rows, cols) transposed
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/** The model's config.json for transformers' GPT2Config. */
export function hfConfig(config: GPTConfig): Record<string, unknown> {
  // End of text: GPT-2 BPE's <|endoftext|>, or byte 0xFF for the byte tokenizer.
  const eos = config.vocabSize - 1;
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: config.vocabSize,
    n_positions: config.blockSize,
    n_ctx: config.blockSize,
    n_embd: config.nEmbd,
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_inner: null,
    activation_function: 'gelu_new',
    layer_norm_epsilon: LAYER_NORM_EPS,
    // The studio trains without dropout.
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: true,
    bos_token_id: eos,
    eos_token_id: eos,
    torch_dtype: 'float32',
  };
}

/** The model as model.safetensors and config.json bytes that GPT2LMHeadModel.from_pretrained loads. */
export function exportHfGpt2(
  params: Float32Array,
  config: GPTConfig,
): { safetensors: Uint8Array; configJson: string } {
  const table = buildParamTable(config);
  if (params.length !== table.totalLength) {
    throw new Error(
      `exportHfGpt2: params have ${params.length} floats; this model's layout needs ${table.totalLength}.`,
    );
  }
  const tensors: NamedTensor[] = table.tensors.map((t) => {
    const data = params.subarray(t.offset, t.offset + t.length);
    if (!isConv1d(t.name)) return { name: hfName(t.name), shape: t.shape, data };
    const [out, inp] = t.shape;
    return { name: t.name, shape: [inp, out], data: transpose(data, out, inp) };
  });
  // "format": "pt" is what from_pretrained requires of a safetensors file's metadata.
  const safetensors = writeSafetensors(tensors, { format: 'pt', n_head: String(config.nHead) });
  return { safetensors, configJson: `${JSON.stringify(hfConfig(config), null, 2)}\n` };
}

/** A refused import: what is wrong, and that nothing was loaded. */
export class HfImportError extends Error {
  constructor(problem: string) {
    super(`${problem} Nothing was imported.`);
    this.name = 'HfImportError';
  }
}

export interface HfImport {
  config: GPTConfig;
  /** In the studio's flat layout (buildParamTable(config)). */
  params: Float32Array;
  /** Parameters of the model (no padding), and their size in f32. */
  parameterCount: number;
  bytes: number;
}

const count = (n: number) => n.toLocaleString('en-US');

function sizeOf(c: GPTConfig): string {
  const n = buildParamTable(c).count;
  return `${count(n)} parameters, ${((n * 4) / 1e6).toFixed(1)} MB in f32`;
}

/**
 * A GPT-2 checkpoint in the studio's layout, checked against its config.json (or, without one,
 * against the shapes: n_head from the file's own metadata when the studio wrote it, else GPT-2's
 * head size of 64). Refuses what the studio cannot run, saying the model's size. Every tensor's
 * name and shape is checked before the parameters are allocated, so their size is bounded by the
 * file's.
 */
export function importHfGpt2(bytes: Uint8Array, configJson?: string): HfImport {
  const file = readSafetensors(bytes);
  const tensors = new Map<string, ReadTensor>();
  for (const [name, t] of file.tensors) {
    const bare = name.startsWith('transformer.') ? name.slice('transformer.'.length) : name;
    // The causal-mask buffers older GPT-2 files carry (often BOOL or U8) are not parameters.
    if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(bare)) continue;
    if (tensors.has(bare))
      throw new HfImportError(
        `The file holds ${clip(bare)} twice (with and without "transformer.").`,
      );
    tensors.set(bare, t);
  }
  // The hub's converter keeps one of two tied names, the alphabetically first: lm_head.weight.
  const head = tensors.get('lm_head.weight');
  if (head && !tensors.has('wte.weight')) {
    tensors.set('wte.weight', head);
    tensors.delete('lm_head.weight');
  }
  const config =
    configJson === undefined ? inferConfig(tensors, file.metadata) : parseConfig(configJson);
  checkRunnable(config);
  const table = buildParamTable(config);
  const from = configJson === undefined ? 'the shapes in the file' : 'config.json';
  for (const t of table.tensors) {
    const name = hfName(t.name);
    const found = tensors.get(name);
    const shape = isConv1d(name) ? [t.shape[1], t.shape[0]] : [...t.shape];
    if (!found) {
      throw new HfImportError(
        `The file has no ${name}, which a GPT-2 with n_layer ${config.nLayer} (from ${from}) needs: it is another model, or the config.json does not belong to it.`,
      );
    }
    if (found.shape.join(',') !== shape.join(',')) {
      throw new HfImportError(
        `${name} has shape ${previewList(found.shape)} in the file, but ${from} (n_embd ${config.nEmbd}, vocab_size ${config.vocabSize}, n_positions ${config.blockSize}) needs [${shape.join(', ')}].`,
      );
    }
  }
  const needed = new Set(table.tensors.map((t) => hfName(t.name)));
  const extra = [...tensors.keys()].filter(
    (name) => name !== 'lm_head.weight' && !needed.has(name),
  );
  if (extra.length > 0) {
    throw new HfImportError(
      `The file holds tensors a GPT-2 with n_layer ${config.nLayer} does not have (${extra.slice(0, 5).map(clip).join(', ')}${extra.length > 5 ? ', ...' : ''}): it is another architecture, or the config.json does not belong to it.`,
    );
  }
  // Every tensor the model needs is in the file with its shape: the allocation is the file's size.
  const params = new Float32Array(table.totalLength);
  for (const t of table.tensors) {
    const name = hfName(t.name);
    const data = tensorFloats(name, tensors.get(name)!);
    params.set(isConv1d(name) ? transpose(data, t.shape[1], t.shape[0]) : data, t.offset);
  }
  if (head && tensors.get('wte.weight') !== head) {
    const wte = table.byName.get('wte')!;
    const headData = tensorFloats('lm_head.weight', head);
    if (!sameBits(headData, params.subarray(wte.offset, wte.offset + wte.length))) {
      throw new HfImportError(
        'This model has an output head (lm_head.weight) of its own; the studio ties the output head to the token embedding (wte), so it cannot run this model.',
      );
    }
  }
  return { config, params, parameterCount: table.count, bytes: table.count * 4 };
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Upper bounds on config.json's sizes, far above any model the studio runs, so a damaged or
 * hostile value is refused before anything is sized from it. */
const CONFIG_LIMITS = {
  vocab_size: 1_000_000,
  n_positions: 1_000_000,
  n_embd: 65_536,
  n_layer: 1_000,
  n_head: 65_536,
} as const;

function parseConfig(json: string): GPTConfig {
  let c: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error(`it is ${preview(parsed)}`);
    c = parsed as Record<string, unknown>;
  } catch (e) {
    throw new HfImportError(
      `config.json is not a JSON object (${e instanceof Error ? e.message : String(e)}).`,
    );
  }
  const field = (key: string): unknown => (Object.hasOwn(c, key) ? c[key] : undefined);
  const modelType = field('model_type');
  if (modelType !== undefined && modelType !== 'gpt2') {
    throw new HfImportError(
      `config.json's model_type is ${preview(modelType)}; the studio imports GPT-2 ("gpt2") only.`,
    );
  }
  const int = (key: keyof typeof CONFIG_LIMITS): number => {
    const v = field(key);
    const max = CONFIG_LIMITS[key];
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > max)
      throw new HfImportError(
        `config.json's ${key} is ${preview(v)}, not a whole number from 1 to ${count(max)}.`,
      );
    return v as number;
  };
  const config: GPTConfig = {
    vocabSize: int('vocab_size'),
    blockSize: int('n_positions'),
    nEmbd: int('n_embd'),
    nLayer: int('n_layer'),
    nHead: int('n_head'),
  };
  const refuse = (what: string) =>
    new HfImportError(`config.json sets ${what}, which the studio's GPT-2 does not compute.`);
  const act = field('activation_function') ?? 'gelu_new';
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh')
    throw refuse(
      `activation_function ${preview(act)} (the studio's GELU is the tanh one, "gelu_new")`,
    );
  const eps = field('layer_norm_epsilon') ?? LAYER_NORM_EPS;
  if (eps !== LAYER_NORM_EPS)
    throw refuse(`layer_norm_epsilon ${preview(eps)} (the studio's is ${LAYER_NORM_EPS})`);
  const inner = field('n_inner');
  if (inner !== undefined && inner !== null && inner !== 4 * config.nEmbd)
    throw refuse(
      `n_inner ${preview(inner)} (the studio's MLP is 4 x n_embd = ${4 * config.nEmbd} wide)`,
    );
  if (field('scale_attn_weights') === false) throw refuse('scale_attn_weights false');
  if (field('scale_attn_by_inverse_layer_idx') === true)
    throw refuse('scale_attn_by_inverse_layer_idx true');
  if (field('tie_word_embeddings') === false) {
    throw new HfImportError(
      'config.json sets tie_word_embeddings false: this model has an output head (lm_head.weight) separate from its token embedding (wte), and the studio ties the two, so it cannot run this model.',
    );
  }
  return config;
}

function inferConfig(
  tensors: Map<string, ReadTensor>,
  metadata: Record<string, string>,
): GPTConfig {
  const wte = tensors.get('wte.weight')?.shape;
  const wpe = tensors.get('wpe.weight')?.shape;
  if (!wte || !wpe || wte.length !== 2 || wpe.length !== 2) {
    throw new HfImportError(
      'The file has no 2-D wte.weight and wpe.weight: it is not a GPT-2 checkpoint.',
    );
  }
  let nLayer = 0;
  while (tensors.has(`h.${nLayer}.ln_1.weight`)) nLayer++;
  if (nLayer === 0)
    throw new HfImportError('The file has no h.0.ln_1.weight: it is not a GPT-2 checkpoint.');
  const nEmbd = wte[1];
  const stated = Object.hasOwn(metadata, 'n_head') ? Number(metadata.n_head) : Number.NaN;
  const nHead = Number.isInteger(stated) && stated > 0 ? stated : nEmbd / GPT2_HEAD_SIZE;
  if (!Number.isInteger(nHead) || nHead < 1) {
    throw new HfImportError(
      `The file does not say its number of heads, and n_embd ${nEmbd} is not a multiple of GPT-2's head size ${GPT2_HEAD_SIZE}: give its config.json too.`,
    );
  }
  return { vocabSize: wte[0], blockSize: wpe[0], nEmbd, nLayer, nHead };
}

function checkRunnable(c: GPTConfig): void {
  // From the file's shapes these can be 0 (an empty tensor) or beyond any GPU.
  if (c.nEmbd < 1 || c.nEmbd > CONFIG_LIMITS.n_embd || c.blockSize < 1) {
    throw new HfImportError(
      `The studio cannot run this model: its n_embd ${count(c.nEmbd)} or context of ${count(c.blockSize)} positions is outside 1 to ${count(CONFIG_LIMITS.n_embd)} and 1 to 1,024.`,
    );
  }
  const problems: string[] = [];
  if (!VOCABS.includes(c.vocabSize))
    problems.push(
      `its vocabulary of ${count(c.vocabSize)} matches neither of the studio's tokenizers (256 bytes, 50,257 GPT-2 BPE)`,
    );
  if (c.nEmbd % c.nHead !== 0)
    problems.push(`n_embd ${c.nEmbd} is not divisible by n_head ${c.nHead}`);
  else if (c.nEmbd / c.nHead > 128)
    problems.push(`its head size ${c.nEmbd / c.nHead} is over the attention kernel's 128`);
  if (c.blockSize > 1024)
    problems.push(`its context of ${c.blockSize} positions is over the studio's 1,024`);
  if (problems.length > 0) {
    throw new HfImportError(
      `The studio cannot run this model (n_layer ${c.nLayer}, n_head ${c.nHead}, n_embd ${c.nEmbd}, ${sizeOf(c)}): ${problems.join('; ')}.`,
    );
  }
}
