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
import { scale } from '../kernels/scale';
import type { TokenGroupBuffers } from '../kernels/tokenGroups';
import type { Activations } from './activations';
import type { GPTConfig } from './config';
import type { LoraTarget } from './lora';
import { LoraModel } from './loraModel';
import { buildParamTable, type ParamTable, tensor } from './params';

/**
 * A GPT-2 on the GPU: parameters and their gradients in two flat buffers laid out by the
 * parameter table (the optimizer keeps its moments beside them, same layout). A frozen base
 * (LoRA fine-tuning) has no gradients: `grads` is then a one-float placeholder.
 */
export class GptModel {
  readonly table: ParamTable;
  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;

  constructor(
    ctx: GpuContext,
    readonly config: GPTConfig,
    initial: Float32Array,
    withGrads = true,
  ) {
    this.table = buildParamTable(config);
    if (initial.length !== this.table.totalLength) {
      throw new Error(
        `Parameters have ${initial.length} floats; this model needs ${this.table.totalLength}.`,
      );
    }
    this.params = createStorage(ctx, 'params', initial);
    this.grads = createStorage(ctx, 'grads', withGrads ? this.table.totalLength : 1);
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

/**
 * A LoRA adapter on one linear layer (OC,C), as its forward and backward see it: the layer
 * computes inp W^T + c (inp B) A^T with c = alpha / r. The rank-r intermediate is scaled by c
 * in place (a tiny kernel on M x r floats) so every product stays a plain matmul.
 */
interface Adapter {
  a: BufferSlice; // A (OC,r)
  b: BufferSlice; // B (C,r)
  da: BufferSlice; // dA (OC,r)
  db: BufferSlice; // dB (C,r)
  u: GPUBuffer; // (M,r) = c inp · B, saved by the forward for dA
  v: GPUBuffer; // (M,r) = c dout · A, backward scratch
  r: number;
  c: number;
}

function adapterOf(
  lora: LoraModel | undefined,
  acts: Activations,
  layer: number,
  target: LoraTarget,
): Adapter | null {
  const p = lora?.pair(layer, target);
  if (!lora || !p) return null;
  if (!acts.lora)
    throw new Error('These activations were made without adapters: pass the LoRA table.');
  const u = acts.lora.u.get(p.name);
  if (!u) throw new Error(`These activations were made for other adapters (no ${p.name}).`);
  return { a: p.a, b: p.b, da: p.da, db: p.db, u, v: acts.lora.v, r: p.r, c: lora.table.scale };
}

// out (M,OC) = inp (M,C) · W^T (OC,C) + bias (OC) [+ u (M,r) · A^T, u = c inp · B (C,r)]
function linearForward(
  ctx: GpuContext,
  out: Buf,
  inp: Buf,
  w: Buf,
  bias: Buf,
  M: number,
  C: number,
  OC: number,
  ad: Adapter | null,
): Promise<KernelOp>[] {
  const base = matmul(ctx, out, inp, w, bias, { M, N: OC, K: C, transB: true });
  if (!ad) return [base];
  return [
    base,
    matmul(ctx, ad.u, inp, ad.b, null, { M, N: ad.r, K: C }),
    scale(ctx, ad.u, M * ad.r, ad.c),
    matmul(ctx, out, ad.u, ad.a, null, { M, N: OC, K: ad.r, transB: true, accumulate: true }),
  ];
}

/** A linear layer's parameter gradients, or null when the base is frozen (never computed). */
interface LinearGrads {
  dw: Buf; // (OC,C)
  dbias: Buf; // (OC)
}

// dinp (M,C) = dout (M,OC) · W (OC,C); dW (OC,C) += dout^T · inp; dbias (OC) += colsum(dout);
// with an adapter: v (M,r) = c dout · A, dinp += v · B^T, dA (OC,r) += dout^T · u, dB (C,r) += inp^T · v
function linearBackward(
  ctx: GpuContext,
  dinp: Buf,
  grads: LinearGrads | null,
  dout: Buf,
  inp: Buf,
  w: Buf,
  M: number,
  C: number,
  OC: number,
  ad: Adapter | null,
): Promise<KernelOp>[] {
  const ops = [matmul(ctx, dinp, dout, w, null, { M, N: C, K: OC })];
  if (grads) {
    ops.push(
      matmul(ctx, grads.dw, dout, inp, null, {
        M: OC,
        N: C,
        K: M,
        transA: true,
        accumulate: true,
      }),
      biasBackward(ctx, grads.dbias, dout, M, OC),
    );
  }
  if (ad) {
    const acc = { transA: true, accumulate: true };
    ops.push(
      matmul(ctx, ad.v, dout, ad.a, null, { M, N: ad.r, K: OC }),
      scale(ctx, ad.v, M * ad.r, ad.c),
      matmul(ctx, dinp, ad.v, ad.b, null, { M, N: C, K: ad.r, transB: true, accumulate: true }),
      matmul(ctx, ad.da, dout, ad.u, null, { M: OC, N: ad.r, K: M, ...acc }),
      matmul(ctx, ad.db, inp, ad.v, null, { M: C, N: ad.r, K: M, ...acc }),
    );
  }
  return ops;
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
 * With `lora`, its adapters add to their layers (acts must be made with lora.table).
 */
export function buildForward(
  ctx: GpuContext,
  model: GptModel,
  acts: Activations,
  tokens: Buf,
  targets: Buf,
  mode: ForwardMode,
  lora?: LoraModel,
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
    const ad = (target: LoraTarget) => adapterOf(lora, acts, l, target);
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
      ...linearForward(
        ctx,
        a.qkv,
        a.ln1,
        p(`${h}attn.c_attn.weight`),
        p(`${h}attn.c_attn.bias`),
        BT,
        C,
        3 * C,
        ad('attn.c_attn'),
      ),
      attentionForward(ctx, a.atty, a.attSaved, a.qkv, B, T, C, NH),
      ...linearForward(
        ctx,
        a.attproj,
        a.atty,
        p(`${h}attn.c_proj.weight`),
        p(`${h}attn.c_proj.bias`),
        BT,
        C,
        C,
        ad('attn.c_proj'),
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
      ...linearForward(
        ctx,
        a.fch,
        a.ln2,
        p(`${h}mlp.c_fc.weight`),
        p(`${h}mlp.c_fc.bias`),
        BT,
        C,
        4 * C,
        ad('mlp.c_fc'),
      ),
      geluForward(ctx, a.fchGelu, a.fch, BT * 4 * C),
      ...linearForward(
        ctx,
        a.fcproj,
        a.fchGelu,
        p(`${h}mlp.c_proj.weight`),
        p(`${h}mlp.c_proj.bias`),
        BT,
        4 * C,
        C,
        ad('mlp.c_proj'),
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
 * The backward pass, after a 'train' forward left dlogits in acts.logits. `trains` says what
 * learns: the base model (its token groups, for the embedding gradient), whose every parameter
 * gradient is added into model.grads; or a LoRA model, whose dA and dB are added into lora.grads
 * while the frozen base gets no gradient at all (its weight and bias gradients are skipped; only
 * LayerNorm's, fused with its input gradient, are computed into a sink). Scratch gradients that
 * kernels add into are cleared where they are reused, so the list mixes launches and clears.
 */
export async function buildBackward(
  ctx: GpuContext,
  model: GptModel,
  acts: Activations,
  trains: TokenGroupBuffers | LoraModel,
): Promise<Command[]> {
  const { nEmbd: C, nHead: NH, vocabSize: V } = model.config;
  const { B, T } = acts;
  const BT = B * T;
  const lora = trains instanceof LoraModel ? trains : undefined;
  const sink = acts.lora?.lnSink;
  if (lora && !sink)
    throw new Error('These activations were made without adapters: pass the LoRA table.');
  const p = (n: string) => model.p(n);
  const g = (n: string) => model.g(n);
  const linearGrads = (name: string): LinearGrads | null =>
    lora ? null : { dw: g(`${name}.weight`), dbias: g(`${name}.bias`) };
  // LayerNorm (gain, bias) gradients: the model's, or the sink when the base is frozen.
  const lnGrads = (name: string): [Buf, Buf] => sink ?? [g(`${name}.weight`), g(`${name}.bias`)];
  const last = acts.residualIn(model.config.nLayer);
  const commands: Command[] = [{ clear: acts.dresidual }];
  const head: Promise<KernelOp>[] = [
    matmul(ctx, acts.dln, acts.logits, p('wte'), null, { M: BT, N: C, K: V }),
  ];
  if (!lora) {
    head.push(
      matmul(ctx, g('wte'), acts.logits, acts.lnf, null, {
        M: V,
        N: C,
        K: BT,
        transA: true,
        accumulate: true,
      }),
    );
  }
  head.push(
    layernormBackward(
      ctx,
      acts.dresidual,
      ...lnGrads('ln_f'),
      acts.dln,
      last,
      p('ln_f.weight'),
      acts.lnfMean,
      acts.lnfRstd,
      BT,
      C,
    ),
  );
  commands.push(...(await Promise.all(head)));
  for (let l = model.config.nLayer - 1; l >= 0; l--) {
    const h = `h.${l}.`;
    const a = acts.layers[l];
    const x = acts.residualIn(l);
    const ad = (target: LoraTarget) => adapterOf(lora, acts, l, target);
    commands.push({ clear: acts.dfch }, { clear: acts.dqkv });
    const ops = await Promise.all([
      // residual3 = residual2 + fcproj: dresidual flows to both unchanged.
      ...linearBackward(
        ctx,
        acts.dfchGelu,
        linearGrads(`${h}mlp.c_proj`),
        acts.dresidual,
        a.fchGelu,
        p(`${h}mlp.c_proj.weight`),
        BT,
        4 * C,
        C,
        ad('mlp.c_proj'),
      ),
      geluBackward(ctx, acts.dfch, a.fch, acts.dfchGelu, BT * 4 * C),
      ...linearBackward(
        ctx,
        acts.dln,
        linearGrads(`${h}mlp.c_fc`),
        acts.dfch,
        a.ln2,
        p(`${h}mlp.c_fc.weight`),
        BT,
        C,
        4 * C,
        ad('mlp.c_fc'),
      ),
      layernormBackward(
        ctx,
        acts.dresidual,
        ...lnGrads(`${h}ln_2`),
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
        linearGrads(`${h}attn.c_proj`),
        acts.dresidual,
        a.atty,
        p(`${h}attn.c_proj.weight`),
        BT,
        C,
        C,
        ad('attn.c_proj'),
      ),
      attentionBackward(
        ctx,
        acts.dqkv,
        acts.datty,
        a.qkv,
        a.atty,
        a.attSaved,
        acts.attDelta,
        B,
        T,
        C,
        NH,
      ),
      ...linearBackward(
        ctx,
        acts.dln,
        linearGrads(`${h}attn.c_attn`),
        acts.dqkv,
        a.ln1,
        p(`${h}attn.c_attn.weight`),
        BT,
        C,
        3 * C,
        ad('attn.c_attn'),
      ),
      layernormBackward(
        ctx,
        acts.dresidual,
        ...lnGrads(`${h}ln_1`),
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
  if (!(trains instanceof LoraModel))
    commands.push(
      await embeddingBackward(ctx, g('wte'), g('wpe'), acts.dresidual, trains, B, T, C),
    );
  return commands;
}
