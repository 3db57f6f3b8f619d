import { type Buf, type BufferSlice, createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import type { Command, KernelOp } from '../gpu/ops';
import { attentionBackward, attentionForward } from '../kernels/attention';
import {
  crossentropyForward,
  crossentropyForwardBackward,
  sequenceLoss,
} from '../kernels/crossentropy';
import { embeddingBackward, embeddingForward } from '../kernels/embedding';
import { geluBackward, geluForward } from '../kernels/gelu';
import { layernormBackward, layernormForward } from '../kernels/layernorm';
import { biasBackward, matmul } from '../kernels/matmul';
import { residualForward } from '../kernels/residual';
import type { TokenGroupBuffers } from '../kernels/tokenGroups';
import type { Activations } from './activations';
import type { GPTConfig } from './config';
import { buildParamTable, type ParamTable, tensor } from './params';

/**
 * A GPT-2 on the GPU: parameters and their gradients in two flat buffers laid out by the
 * parameter table (the optimizer keeps its moments beside them, same layout).
 */
export class GptModel {
  readonly table: ParamTable;
  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;

  constructor(
    ctx: GpuContext,
    readonly config: GPTConfig,
    initial: Float32Array,
  ) {
    this.table = buildParamTable(config);
    if (initial.length !== this.table.totalLength) {
      throw new Error(
        `Parameters have ${initial.length} floats; this model needs ${this.table.totalLength}.`,
      );
    }
    this.params = createStorage(ctx, 'params', initial);
    this.grads = createStorage(ctx, 'grads', this.table.totalLength);
  }

  /** The slice of `buffer` (params, grads or a moment) holding tensor `name`. */
  slice(buffer: GPUBuffer, name: string): BufferSlice {
    const t = tensor(this.table, name);
    return { buffer, offset: t.offset * 4, size: t.length * 4 };
  }

  p(name: string): BufferSlice {
    return this.slice(this.params, name);
  }

  g(name: string): BufferSlice {
    return this.slice(this.grads, name);
  }

  destroy(): void {
    this.params.destroy();
    this.grads.destroy();
  }
}

// out (M,OC) = inp (M,C) · W^T (OC,C) + bias (OC)
function linearForward(
  ctx: GpuContext,
  out: Buf,
  inp: Buf,
  w: Buf,
  bias: Buf,
  M: number,
  C: number,
  OC: number,
) {
  return matmul(ctx, out, inp, w, bias, { M, N: OC, K: C, transB: true });
}

// dinp (M,C) = dout (M,OC) · W (OC,C); dW (OC,C) += dout^T · inp; dbias (OC) += colsum(dout)
function linearBackward(
  ctx: GpuContext,
  dinp: Buf,
  dw: Buf,
  dbias: Buf,
  dout: Buf,
  inp: Buf,
  w: Buf,
  M: number,
  C: number,
  OC: number,
): Promise<KernelOp>[] {
  return [
    matmul(ctx, dinp, dout, w, null, { M, N: C, K: OC }),
    matmul(ctx, dw, dout, inp, null, { M: OC, N: C, K: M, transA: true, accumulate: true }),
    biasBackward(ctx, dbias, dout, M, OC),
  ];
}

/** How the forward ends: training fuses the loss with its gradient; evaluation only scores. */
export type ForwardMode =
  | { kind: 'train'; dlossScale: number }
  | { kind: 'eval' }
  | { kind: 'logits' };

/**
 * The forward pass of a (B, T) batch as prepared kernel launches, in order.
 * tokens, targets (B,T) u32 -> acts.logits (B,T,V) and, unless mode is 'logits', acts.losses (B,T),
 * acts.seqLoss (B) and acts.meanLoss (1). In 'train' mode acts.logits ends up holding dlogits.
 */
export function buildForward(
  ctx: GpuContext,
  model: GptModel,
  acts: Activations,
  tokens: Buf,
  targets: Buf,
  mode: ForwardMode,
): Promise<KernelOp[]> {
  const { nEmbd: C, nHead: NH, vocabSize: V } = model.config;
  const { B, T } = acts;
  const BT = B * T;
  const p = (n: string) => model.p(n);
  const ops: Promise<KernelOp>[] = [
    embeddingForward(ctx, acts.encoded, tokens, p('wte'), p('wpe'), B, T, C),
  ];
  acts.layers.forEach((a, l) => {
    const h = `h.${l}.`;
    const x = acts.residualIn(l);
    ops.push(
      layernormForward(
        ctx,
        a.ln1,
        a.ln1Mean,
        a.ln1Rstd,
        x,
        p(`${h}ln_1.weight`),
        p(`${h}ln_1.bias`),
        BT,
        C,
      ),
      linearForward(
        ctx,
        a.qkv,
        a.ln1,
        p(`${h}attn.c_attn.weight`),
        p(`${h}attn.c_attn.bias`),
        BT,
        C,
        3 * C,
      ),
      attentionForward(ctx, a.atty, a.attSaved, a.qkv, B, T, C, NH),
      linearForward(
        ctx,
        a.attproj,
        a.atty,
        p(`${h}attn.c_proj.weight`),
        p(`${h}attn.c_proj.bias`),
        BT,
        C,
        C,
      ),
      residualForward(ctx, a.residual2, x, a.attproj, BT * C),
      layernormForward(
        ctx,
        a.ln2,
        a.ln2Mean,
        a.ln2Rstd,
        a.residual2,
        p(`${h}ln_2.weight`),
        p(`${h}ln_2.bias`),
        BT,
        C,
      ),
      linearForward(
        ctx,
        a.fch,
        a.ln2,
        p(`${h}mlp.c_fc.weight`),
        p(`${h}mlp.c_fc.bias`),
        BT,
        C,
        4 * C,
      ),
      geluForward(ctx, a.fchGelu, a.fch, BT * 4 * C),
      linearForward(
        ctx,
        a.fcproj,
        a.fchGelu,
        p(`${h}mlp.c_proj.weight`),
        p(`${h}mlp.c_proj.bias`),
        BT,
        4 * C,
        C,
      ),
      residualForward(ctx, a.residual3, a.residual2, a.fcproj, BT * C),
    );
  });
  const last = acts.residualIn(model.config.nLayer);
  ops.push(
    layernormForward(
      ctx,
      acts.lnf,
      acts.lnfMean,
      acts.lnfRstd,
      last,
      p('ln_f.weight'),
      p('ln_f.bias'),
      BT,
      C,
    ),
    // The output head is tied to the token embedding: logits = lnf · wte^T.
    matmul(ctx, acts.logits, acts.lnf, p('wte'), null, { M: BT, N: V, K: C, transB: true }),
  );
  if (mode.kind === 'train') {
    ops.push(
      crossentropyForwardBackward(ctx, acts.losses, acts.logits, targets, BT, V, mode.dlossScale),
    );
  } else if (mode.kind === 'eval') {
    ops.push(crossentropyForward(ctx, acts.losses, acts.logits, targets, BT, V));
  }
  if (mode.kind !== 'logits')
    ops.push(sequenceLoss(ctx, acts.seqLoss, acts.meanLoss, acts.losses, targets, B, T));
  return Promise.all(ops);
}

/**
 * The backward pass, after a 'train' forward left dlogits in acts.logits: adds every
 * parameter's gradient into model.grads. Scratch gradients that kernels add into are cleared
 * where they are reused, so the list mixes launches and clears.
 */
export async function buildBackward(
  ctx: GpuContext,
  model: GptModel,
  acts: Activations,
  groups: TokenGroupBuffers,
): Promise<Command[]> {
  const { nEmbd: C, nHead: NH, vocabSize: V } = model.config;
  const { B, T } = acts;
  const BT = B * T;
  const p = (n: string) => model.p(n);
  const g = (n: string) => model.g(n);
  const last = acts.residualIn(model.config.nLayer);
  const commands: Command[] = [{ clear: acts.dresidual }];
  commands.push(
    ...(await Promise.all([
      matmul(ctx, acts.dln, acts.logits, p('wte'), null, { M: BT, N: C, K: V }),
      matmul(ctx, g('wte'), acts.logits, acts.lnf, null, {
        M: V,
        N: C,
        K: BT,
        transA: true,
        accumulate: true,
      }),
      layernormBackward(
        ctx,
        acts.dresidual,
        g('ln_f.weight'),
        g('ln_f.bias'),
        acts.dln,
        last,
        p('ln_f.weight'),
        acts.lnfMean,
        acts.lnfRstd,
        BT,
        C,
      ),
    ])),
  );
  for (let l = model.config.nLayer - 1; l >= 0; l--) {
    const h = `h.${l}.`;
    const a = acts.layers[l];
    const x = acts.residualIn(l);
    commands.push({ clear: acts.dfch }, { clear: acts.dqkv });
    const ops = await Promise.all([
      // residual3 = residual2 + fcproj: dresidual flows to both unchanged.
      ...linearBackward(
        ctx,
        acts.dfchGelu,
        g(`${h}mlp.c_proj.weight`),
        g(`${h}mlp.c_proj.bias`),
        acts.dresidual,
        a.fchGelu,
        p(`${h}mlp.c_proj.weight`),
        BT,
        4 * C,
        C,
      ),
      geluBackward(ctx, acts.dfch, a.fch, acts.dfchGelu, BT * 4 * C),
      ...linearBackward(
        ctx,
        acts.dln,
        g(`${h}mlp.c_fc.weight`),
        g(`${h}mlp.c_fc.bias`),
        acts.dfch,
        a.ln2,
        p(`${h}mlp.c_fc.weight`),
        BT,
        C,
        4 * C,
      ),
      layernormBackward(
        ctx,
        acts.dresidual,
        g(`${h}ln_2.weight`),
        g(`${h}ln_2.bias`),
        acts.dln,
        a.residual2,
        p(`${h}ln_2.weight`),
        a.ln2Mean,
        a.ln2Rstd,
        BT,
        C,
      ),
      ...linearBackward(
        ctx,
        acts.datty,
        g(`${h}attn.c_proj.weight`),
        g(`${h}attn.c_proj.bias`),
        acts.dresidual,
        a.atty,
        p(`${h}attn.c_proj.weight`),
        BT,
        C,
        C,
      ),
      attentionBackward(ctx, acts.dqkv, acts.datty, a.qkv, a.attSaved, acts.attDelta, B, T, C, NH),
      ...linearBackward(
        ctx,
        acts.dln,
        g(`${h}attn.c_attn.weight`),
        g(`${h}attn.c_attn.bias`),
        acts.dqkv,
        a.ln1,
        p(`${h}attn.c_attn.weight`),
        BT,
        C,
        3 * C,
      ),
      layernormBackward(
        ctx,
        acts.dresidual,
        g(`${h}ln_1.weight`),
        g(`${h}ln_1.bias`),
        acts.dln,
        x,
        p(`${h}ln_1.weight`),
        a.ln1Mean,
        a.ln1Rstd,
        BT,
        C,
      ),
    ]);
    commands.push(...ops);
  }
  commands.push(await embeddingBackward(ctx, g('wte'), g('wpe'), acts.dresidual, groups, B, T, C));
  return commands;
}
