// LoRA adapters as a PEFT adapter (adapter_model.safetensors + adapter_config.json) for a GPT-2
// loaded with transformers, e.g. PeftModel.from_pretrained(GPT2LMHeadModel..., dir).
//
// The studio's pair (src/model/lora.ts, /work/shared/specs/lora-rite.md): Z = A B^T (out, in),
// A (out, r), B (in, r), added to W as W + (alpha / r) Z. PEFT's pair: lora_A is a Linear(in, r)
// with weight (r, in), lora_B a Linear(r, out) with weight (out, r), and the update is
// (lora_alpha / r) lora_B.weight @ lora_A.weight (out, in), transposed onto GPT-2's Conv1D weight
// (in, out) because fan_in_fan_out is true. So lora_B.weight = A as it is and lora_A.weight = B^T,
// and the two scales are the same number.
import type { GPTConfig } from '../model/config';
import { type NamedTensor, writeSafetensors } from './safetensors';

const TARGETS = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;

/** One adapted layer: name as in the GPT-2 checkpoint ("h.0.attn.c_attn"), factors row-major. */
export interface LoraFactors {
  name: string;
  /** (out, r) */
  A: Float32Array;
  /** (in, r) */
  B: Float32Array;
}

export interface PeftOptions {
  rank: number;
  alpha: number;
  /** The base model's hub id or path, recorded for PEFT; null when it has none. */
  baseModel?: string | null;
}

// (out, in) of a GPT-2 linear layer, as the studio stores its weight.
function layerShape(config: GPTConfig, name: string): [number, number] {
  const match = /^h\.(\d+)\.(.+)$/.exec(name);
  const target = match?.[2] as (typeof TARGETS)[number] | undefined;
  if (!match || !target || !TARGETS.includes(target) || Number(match[1]) >= config.nLayer) {
    throw new Error(
      `exportPeftLora: "${name}" is not an adaptable layer of this model (h.0 to h.${config.nLayer - 1}, then ${TARGETS.join(', ')}).`,
    );
  }
  const C = config.nEmbd;
  const shapes: Record<(typeof TARGETS)[number], [number, number]> = {
    'attn.c_attn': [3 * C, C],
    'attn.c_proj': [C, C],
    'mlp.c_fc': [4 * C, C],
    'mlp.c_proj': [C, 4 * C],
  };
  return shapes[target];
}

// out (cols, rows) = a (rows, cols) transposed
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/** The adapters as adapter_model.safetensors and adapter_config.json bytes. */
export function exportPeftLora(
  config: GPTConfig,
  pairs: readonly LoraFactors[],
  options: PeftOptions,
): { safetensors: Uint8Array; adapterConfigJson: string } {
  const r = options.rank;
  const tensors: NamedTensor[] = [];
  for (const p of pairs) {
    const [out, inp] = layerShape(config, p.name);
    if (p.A.length !== out * r || p.B.length !== inp * r) {
      throw new Error(
        `exportPeftLora: ${p.name} needs A (${out}, ${r}) and B (${inp}, ${r}), but has ${p.A.length} and ${p.B.length} values.`,
      );
    }
    // PEFT's names inside the wrapped GPT2LMHeadModel, with the adapter name ("default") left out.
    const prefix = `base_model.model.transformer.${p.name}`;
    tensors.push(
      { name: `${prefix}.lora_A.weight`, shape: [r, inp], data: transpose(p.B, inp, r) },
      { name: `${prefix}.lora_B.weight`, shape: [out, r], data: p.A },
    );
  }
  const adapterConfig = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: options.baseModel ?? null,
    r,
    lora_alpha: options.alpha,
    lora_dropout: 0,
    // Whole module paths: PEFT matches a target equal to the module's name, so only these layers
    // get adapters (a bare "c_proj" would also catch the other c_proj).
    target_modules: pairs.map((p) => `transformer.${p.name}`).sort(),
    fan_in_fan_out: true,
    bias: 'none',
    use_rslora: false,
    use_dora: false,
    init_lora_weights: true,
    inference_mode: true,
    modules_to_save: null,
  };
  return {
    safetensors: writeSafetensors(tensors, { format: 'pt' }),
    adapterConfigJson: `${JSON.stringify(adapterConfig, null, 2)}\n`,
  };
}
