import type { GpuContext } from '../gpu/device';
import type { KernelOp } from '../gpu/ops';
import { adamw } from '../kernels/adamw';
import { attentionBackward, attentionForward, attentionSavedLength } from '../kernels/attention';
import { crossentropyForwardBackward } from '../kernels/crossentropy';
import { embeddingForward } from '../kernels/embedding';
import { geluBackward, geluForward } from '../kernels/gelu';
import { gradNorm, gradNormPartialsLength } from '../kernels/gradnorm';
import { layernormBackward, layernormForward } from '../kernels/layernorm';
import { biasBackward, matmul } from '../kernels/matmul';

/**
 * Makes a storage buffer of `length` words, the caller destroys them all: f32 in [-1, 1), or
 * u32 in [0, below) when `below` is given (token ids, targets).
 */
export type Alloc = (label: string, length: number, below?: number) => GPUBuffer;

/** One training kernel at the small model's shapes, timed by the kernel benchmark. */
export interface KernelTiming {
  name: string;
  shape: string;
  make(ctx: GpuContext, alloc: Alloc): Promise<KernelOp>;
}

// The small GPT of the CI tests: 2 layers, n_embd 64, 4 heads, context 64, batch 8, bytes.
const B = 8;
const T = 64;
const C = 64;
const V = 256;
const NH = 4;
const BT = B * T;
// Parameters of that model (2 layers): what AdamW and the gradient norm sweep.
const PARAMS = 120_576;

// out (BT,OC) = inp (BT,C) · W^T (OC,C) + bias (OC), with the epilogue's extra (BT,OC) buffer
function forwardTiming(
  name: string,
  C_in: number,
  OC: number,
  BT: number,
  extra?: 'residual' | 'gelu',
): KernelTiming {
  return {
    name,
    shape: `BT=${BT} C=${C_in} OC=${OC}`,
    make: (ctx, alloc) =>
      matmul(
        ctx,
        alloc('out', BT * OC),
        alloc('inp', BT * C_in),
        alloc('w', OC * C_in),
        alloc('b', OC),
        { M: BT, N: OC, K: C_in, transB: true },
        extra ? { [extra]: alloc(extra, BT * OC) } : {},
      ),
  };
}

// A linear layer's three matmuls and its bias gradient, named after the layer.
function linear(layer: string, C_in: number, OC: number, BT = B * T): KernelTiming[] {
  const shape = `BT=${BT} C=${C_in} OC=${OC}`;
  return [
    forwardTiming(`matmul_forward_${layer}`, C_in, OC, BT),
    {
      name: `matmul_backward_dinp_${layer}`,
      shape,
      // dinp (BT,C) += dout (BT,OC) · W (OC,C)
      make: (ctx, alloc) =>
        matmul(ctx, alloc('dinp', BT * C_in), alloc('dout', BT * OC), alloc('w', OC * C_in), null, {
          M: BT,
          N: C_in,
          K: OC,
          accumulate: true,
        }),
    },
    {
      name: `matmul_backward_dweight_${layer}`,
      shape,
      // dW (OC,C) += dout^T (OC,BT) · inp (BT,C)
      make: (ctx, alloc) =>
        matmul(ctx, alloc('dw', OC * C_in), alloc('dout', BT * OC), alloc('inp', BT * C_in), null, {
          M: OC,
          N: C_in,
          K: BT,
          transA: true,
          accumulate: true,
        }),
    },
    {
      name: `bias_backward_${layer}`,
      shape,
      // dbias (OC) += colsum dout (BT,OC)
      make: (ctx, alloc) => biasBackward(ctx, alloc('dbias', OC), alloc('dout', BT * OC), BT, OC),
    },
  ];
}

// The matmuls with a fused epilogue, as the model launches them (each replaces a matmul and an
// elementwise kernel): attn.c_proj + residual, mlp.c_fc + GELU, and mlp.c_proj's dinp * gelu'.
const FUSED: KernelTiming[] = [
  // out (BT,C) = res (BT,C) + inp (BT,C) · W^T (C,C) + bias (C)
  forwardTiming('matmul_forward_attproj_residual', C, C, BT, 'residual'),
  // out (BT,4C) = inp (BT,C) · W^T (4C,C) + bias (4C); gelu (BT,4C) = gelu(out)
  forwardTiming('matmul_forward_fc_gelu', C, 4 * C, BT, 'gelu'),
  {
    name: 'matmul_backward_dinp_fcproj_gelu',
    shape: `BT=${BT} C=${4 * C} OC=${C}`,
    // dpre (BT,4C) = dout (BT,C) · W (C,4C) * gelu'(pre (BT,4C))
    make: (ctx, alloc) =>
      matmul(
        ctx,
        alloc('dpre', BT * 4 * C),
        alloc('dout', BT * C),
        alloc('w', C * 4 * C),
        null,
        { M: BT, N: 4 * C, K: C },
        { geluGradAt: alloc('pre', BT * 4 * C) },
      ),
  },
];

// Attention forward and backward of one block; `suffix` names a shape other than the tiny one.
function attention(suffix: string, B: number, T: number, C: number, NH: number): KernelTiming[] {
  const shape = `B=${B} T=${T} C=${C} NH=${NH}`;
  const BT = B * T;
  const saved = attentionSavedLength(B, T, NH);
  return [
    {
      name: `attention_forward${suffix}`,
      shape,
      make: (ctx, alloc) =>
        attentionForward(
          ctx,
          alloc('out', BT * C),
          alloc('saved', saved),
          alloc('qkv', BT * 3 * C),
          B,
          T,
          C,
          NH,
        ),
    },
    {
      name: `attention_backward${suffix}`,
      shape,
      make: (ctx, alloc) =>
        attentionBackward(
          ctx,
          alloc('dqkv', BT * 3 * C),
          alloc('dout', BT * C),
          alloc('qkv', BT * 3 * C),
          alloc('out', BT * C),
          alloc('saved', saved),
          alloc('delta', saved),
          B,
          T,
          C,
          NH,
        ),
    },
  ];
}

// The small preset's block (n_embd 128, 4 heads, context 128, batch 8): its qkv layer and its
// attention, the pair the attention goal compares.
const SMALL = { B: 8, T: 128, C: 128, NH: 4 };

export const kernelTimings: KernelTiming[] = [
  ...linear('qkv', C, 3 * C),
  ...linear('attproj', C, C),
  ...linear('fc', C, 4 * C),
  ...linear('fcproj', 4 * C, C),
  {
    name: 'matmul_forward_lmhead',
    shape: `BT=${BT} C=${C} V=${V}`,
    // logits (BT,V) = x (BT,C) · wte^T (V,C): the tied embedding, no bias
    make: (ctx, alloc) =>
      matmul(ctx, alloc('logits', BT * V), alloc('x', BT * C), alloc('wte', V * C), null, {
        M: BT,
        N: V,
        K: C,
        transB: true,
      }),
  },
  {
    name: 'embedding_forward',
    shape: `B=${B} T=${T} C=${C} V=${V}`,
    make: (ctx, alloc) =>
      embeddingForward(
        ctx,
        alloc('out', BT * C),
        alloc('tokens', BT, V),
        alloc('wte', V * C),
        alloc('wpe', T * C),
        B,
        T,
        C,
      ),
  },
  {
    name: 'layernorm_forward',
    shape: `BT=${BT} C=${C}`,
    make: (ctx, alloc) =>
      layernormForward(
        ctx,
        alloc('out', BT * C),
        alloc('mean', BT),
        alloc('rstd', BT),
        alloc('inp', BT * C),
        alloc('w', C),
        alloc('b', C),
        BT,
        C,
      ),
  },
  {
    name: 'layernorm_backward',
    shape: `BT=${BT} C=${C}`,
    make: (ctx, alloc) =>
      layernormBackward(
        ctx,
        alloc('dinp', BT * C),
        alloc('dw', C),
        alloc('db', C),
        alloc('dout', BT * C),
        alloc('inp', BT * C),
        alloc('w', C),
        alloc('mean', BT),
        alloc('rstd', BT),
        BT,
        C,
      ),
  },
  {
    name: 'gelu_forward',
    shape: `BT=${BT} 4C=${4 * C}`,
    make: (ctx, alloc) =>
      geluForward(ctx, alloc('out', BT * 4 * C), alloc('inp', BT * 4 * C), BT * 4 * C),
  },
  {
    name: 'gelu_backward',
    shape: `BT=${BT} 4C=${4 * C}`,
    make: (ctx, alloc) =>
      geluBackward(
        ctx,
        alloc('dinp', BT * 4 * C),
        alloc('inp', BT * 4 * C),
        alloc('dout', BT * 4 * C),
        BT * 4 * C,
      ),
  },
  ...FUSED,
  ...attention('', B, T, C, NH),
  {
    name: 'crossentropy_forward_backward',
    shape: `BT=${BT} V=${V}`,
    make: (ctx, alloc) =>
      crossentropyForwardBackward(
        ctx,
        alloc('losses', BT),
        alloc('logits', BT * V),
        alloc('targets', BT, V),
        BT,
        V,
        1 / BT,
      ),
  },
  {
    name: 'gradnorm',
    shape: `n=${PARAMS}`,
    make: (ctx, alloc) =>
      gradNorm(
        ctx,
        alloc('norm', 2),
        alloc('partials', gradNormPartialsLength(PARAMS)),
        alloc('grads', PARAMS),
        PARAMS,
        1,
      ),
  },
  {
    name: 'adamw',
    shape: `n=${PARAMS}`,
    make: (ctx, alloc) =>
      adamw(
        ctx,
        alloc('params', PARAMS),
        alloc('m', PARAMS),
        alloc('v', PARAMS),
        alloc('grads', PARAMS),
        alloc('norm', 2),
        alloc('mask', Math.ceil(PARAMS / 32), 2 ** 32),
        PARAMS,
        { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 1 },
      ),
  },
  ...linear('qkv_small', SMALL.C, 3 * SMALL.C, SMALL.B * SMALL.T).filter(
    (k) => !k.name.startsWith('bias'),
  ),
  ...attention('_small', SMALL.B, SMALL.T, SMALL.C, SMALL.NH),
];
