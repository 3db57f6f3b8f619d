import type { GPTConfig } from './config';

/**
 * Every parameter tensor lives in one flat f32 buffer (and so do its gradient and the two
 * AdamW moments), laid out by this table. Offsets are multiples of 64 floats (256 bytes,
 * WebGPU's minStorageBufferOffsetAlignment) so each tensor can be bound as its own slice.
 * Names and order follow the Hugging Face GPT-2 checkpoint; matrices are stored (out, in) as
 * in llm.c (HF's Conv1D stores (in, out): export transposes).
 */
export interface ParamTensor {
  name: string;
  shape: readonly number[];
  offset: number;
  length: number;
  /** Matrices and embeddings take weight decay; biases and LayerNorm parameters do not. */
  decay: boolean;
  /** Residual projections, whose init std is scaled by 1/sqrt(2 n_layer) (GPT-2). */
  residualProjection: boolean;
}

export interface ParamTable {
  tensors: readonly ParamTensor[];
  byName: ReadonlyMap<string, ParamTensor>;
  /** Floats in the flat buffer, alignment padding included. */
  totalLength: number;
  /** Parameters the model really has (no padding). */
  count: number;
}

export const PARAM_ALIGN = 64;

const align = (n: number) => Math.ceil(n / PARAM_ALIGN) * PARAM_ALIGN;

type TensorSpec = [string, number[], boolean, boolean];

// The tensors before the blocks, one block's, and those after: name, shape, decay, residual proj.
function headSpecs(c: GPTConfig): TensorSpec[] {
  return [
    ['wte', [c.vocabSize, c.nEmbd], true, false],
    ['wpe', [c.blockSize, c.nEmbd], true, false],
  ];
}

function layerSpecs(C: number, l: number): TensorSpec[] {
  const h = `h.${l}.`;
  return [
    [`${h}ln_1.weight`, [C], false, false],
    [`${h}ln_1.bias`, [C], false, false],
    [`${h}attn.c_attn.weight`, [3 * C, C], true, false],
    [`${h}attn.c_attn.bias`, [3 * C], false, false],
    [`${h}attn.c_proj.weight`, [C, C], true, true],
    [`${h}attn.c_proj.bias`, [C], false, false],
    [`${h}ln_2.weight`, [C], false, false],
    [`${h}ln_2.bias`, [C], false, false],
    [`${h}mlp.c_fc.weight`, [4 * C, C], true, false],
    [`${h}mlp.c_fc.bias`, [4 * C], false, false],
    [`${h}mlp.c_proj.weight`, [C, 4 * C], true, true],
    [`${h}mlp.c_proj.bias`, [C], false, false],
  ];
}

function tailSpecs(C: number): TensorSpec[] {
  return [
    ['ln_f.weight', [C], false, false],
    ['ln_f.bias', [C], false, false],
  ];
}

/** The parameter tensors of a GPT in buffer order. */
function tensorSpecs(c: GPTConfig): TensorSpec[] {
  const specs = headSpecs(c);
  for (let l = 0; l < c.nLayer; l++) specs.push(...layerSpecs(c.nEmbd, l));
  specs.push(...tailSpecs(c.nEmbd));
  return specs;
}

const alignedLength = (specs: TensorSpec[]) =>
  specs.reduce((sum, [, shape]) => sum + align(shape.reduce((a, b) => a * b, 1)), 0);

/**
 * buildParamTable(config).totalLength without building the table: constant time, so a form can
 * size a model of any n_layer a user types before refusing it.
 */
export function paramBufferLength(c: GPTConfig): number {
  return (
    alignedLength(headSpecs(c)) +
    c.nLayer * alignedLength(layerSpecs(c.nEmbd, 0)) +
    alignedLength(tailSpecs(c.nEmbd))
  );
}

export function buildParamTable(config: GPTConfig): ParamTable {
  const tensors: ParamTensor[] = [];
  let offset = 0;
  let count = 0;
  for (const [name, shape, decay, residualProjection] of tensorSpecs(config)) {
    const length = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name, shape, offset, length, decay, residualProjection });
    offset += align(length);
    count += length;
  }
  return { tensors, byName: new Map(tensors.map((t) => [t.name, t])), totalLength: offset, count };
}

/** The tensor called `name`; throws naming it if the model has none. */
export function tensor(table: ParamTable, name: string): ParamTensor {
  const t = table.byName.get(name);
  if (!t) throw new Error(`The model has no parameter "${name}".`);
  return t;
}
