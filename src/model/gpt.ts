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
import { scale } from '../kernels/scale';
import type { TokenGroupBuffers } from '../kernels/tokenGroups';
import type { Activations, LayerActivations } from './activations';
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

/** How the forward ends: training fuses the loss with its gradient; evaluation only scores. */
export type ForwardMode =
  | { kind: 'train'; dlossScale: number }
  | { kind: 'eval' }
  | { kind: 'logits' };

/** What every op of one pass reads: the model, the batch's activations and the adapters. */
interface Pass {
  ctx: GpuContext;
  model: GptModel;
  acts: Activations;
  lora?: LoraModel;
  BT: number;
}

/** A backward pass also knows where parameter gradients go (nowhere for a frozen base). */
interface BackwardPass extends Pass {
  /** The base's gradients are computed (pretraining), or skipped (LoRA fine-tuning). */
  baseLearns: boolean;
  /** LayerNorm's gain and bias gradients of a frozen base, computed (fused) and dropped. */
  lnSink?: [GPUBuffer, GPUBuffer];
}

function makePass(ctx: GpuContext, model: GptModel, acts: Activations, lora?: LoraModel): Pass {
  return { ctx, model, acts, lora, BT: acts.B * acts.T };
}

function adapterOf(f: Pass, l: number, target: LoraTarget): Adapter | null {
  const p = f.lora?.pair(l, target);
  if (!f.lora || !p) return null;
  if (!f.acts.lora)
    throw new Error('These activations were made without adapters: pass the LoRA table.');
  const u = f.acts.lora.u.get(p.name);
  if (!u) throw new Error(`These activations were made for other adapters (no ${p.name}).`);
  const { a, b, da, db, r } = p;
  return { a, b, da, db, u, v: f.acts.lora.v, r, c: f.lora.table.scale };
}

// (OC, C) of a linear layer, from its weight's shape
function linearShape(f: Pass, layer: string): [number, number] {
  const [OC, C] = tensor(f.model.table, `${layer}.weight`).shape;
  return [OC, C];
}

// ---- forward ops, one per line of a block ----

// out (BT,C), mean (BT), rstd (BT) = layernorm(x (BT,C)) · weight (C) + bias (C)
function layernorm(f: Pass, name: string, out: Buf, mean: Buf, rstd: Buf, x: Buf) {
  const { ctx, model, BT } = f;
  const C = model.config.nEmbd;
  return layernormForward(
    ctx,
    out,
    mean,
    rstd,
    x,
    model.p(`${name}.weight`),
    model.p(`${name}.bias`),
    BT,
    C,
  );
}

/** What a linear layer's store also does: add the residual stream x, or write gelu(out). */
interface LinearEpilogue {
  x?: Buf; // (BT,OC)
  gelu?: Buf; // (BT,OC)
}

// out (BT,OC) = [x +] inp (BT,C) · W^T (OC,C) + bias (OC) [+ u (BT,r) · A^T, u = c inp · B (C,r)];
// [gelu (BT,OC) = gelu(out)]. Both extras ride in the matmul's store (no kernel of their own),
// except GELU after an adapter, which adds to out after the base product.
function linear(
  f: Pass,
  l: number,
  target: LoraTarget,
  out: Buf,
  inp: Buf,
  { x, gelu: act }: LinearEpilogue = {},
): Promise<KernelOp>[] {
  const layer = `h.${l}.${target}`;
  const { ctx, model, BT: M } = f;
  const [OC, C] = linearShape(f, layer);
  const w = model.p(`${layer}.weight`);
  const ad = adapterOf(f, l, target);
  const shape = { M, N: OC, K: C, transB: true };
  const epilogue = { residual: x, gelu: ad ? undefined : act };
  const base = matmul(ctx, out, inp, w, model.p(`${layer}.bias`), shape, epilogue);
  if (!ad) return [base];
  return [
    base,
    matmul(ctx, ad.u, inp, ad.b, null, { M, N: ad.r, K: C }),
    scale(ctx, ad.u, M * ad.r, ad.c),
    matmul(ctx, out, ad.u, ad.a, null, { M, N: OC, K: ad.r, transB: true, accumulate: true }),
    ...(act ? [geluForward(ctx, act, out, M * OC)] : []),
  ];
}

// atty (B,T,C), attSaved = causal self-attention of qkv (B,T,3C)
function attention(f: Pass, a: LayerActivations) {
  const { nEmbd: C, nHead: NH } = f.model.config;
  return attentionForward(f.ctx, a.atty, a.attSaved, a.qkv, f.acts.B, f.acts.T, C, NH);
}

// Block l as nanoGPT's Block.forward: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)).
function blockForward(f: Pass, l: number): Promise<KernelOp>[] {
  const h = `h.${l}.`;
  const a = f.acts.layers[l];
  const x = f.acts.residualIn(l);
  return [
    layernorm(f, `${h}ln_1`, a.ln1, a.ln1Mean, a.ln1Rstd, x),
    ...linear(f, l, 'attn.c_attn', a.qkv, a.ln1),
    attention(f, a),
    ...linear(f, l, 'attn.c_proj', a.residual2, a.atty, { x }),
    layernorm(f, `${h}ln_2`, a.ln2, a.ln2Mean, a.ln2Rstd, a.residual2),
    ...linear(f, l, 'mlp.c_fc', a.fch, a.ln2, { gelu: a.fchGelu }),
    ...linear(f, l, 'mlp.c_proj', a.residual3, a.fchGelu, { x: a.residual2 }),
  ];
}

// logits (BT,V) = lnf (BT,C) · wte^T (V,C): the output head is tied to the token embedding
function lmHead(f: Pass) {
  const { nEmbd: C, vocabSize: V } = f.model.config;
  return matmul(f.ctx, f.acts.logits, f.acts.lnf, f.model.p('wte'), null, {
    M: f.BT,
    N: V,
    K: C,
    transB: true,
  });
}

// losses (BT) from logits (BT,V) and targets (BT), then seqLoss (B) and meanLoss (1);
// 'train' leaves dlogits in logits, 'logits' stops before the loss
function loss(f: Pass, targets: Buf, mode: ForwardMode): Promise<KernelOp>[] {
  const { ctx, acts, BT } = f;
  const V = f.model.config.vocabSize;
  if (mode.kind === 'logits') return [];
  const scores =
    mode.kind === 'train'
      ? crossentropyForwardBackward(ctx, acts.losses, acts.logits, targets, BT, V, mode.dlossScale)
      : crossentropyForward(ctx, acts.losses, acts.logits, targets, BT, V);
  return [
    scores,
    sequenceLoss(ctx, acts.seqLoss, acts.meanLoss, acts.losses, targets, acts.B, acts.T),
  ];
}

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
  const f = makePass(ctx, model, acts, lora);
  const { nEmbd: C, nLayer } = model.config;
  return Promise.all([
    embeddingForward(ctx, acts.encoded, tokens, model.p('wte'), model.p('wpe'), acts.B, acts.T, C),
    ...acts.layers.flatMap((_, l) => blockForward(f, l)),
    layernorm(f, 'ln_f', acts.lnf, acts.lnfMean, acts.lnfRstd, acts.residualIn(nLayer)),
    lmHead(f),
    ...loss(f, targets, mode),
  ]);
}

// ---- backward ops, each the mirror of a forward op ----

// dx (BT,C) +=, dweight (C) +=, dbias (C) += from dout (BT,C) through layernorm `name` of x
function layernormBack(
  b: BackwardPass,
  name: string,
  dx: Buf,
  dout: Buf,
  x: Buf,
  mean: Buf,
  rstd: Buf,
) {
  const { ctx, model, BT } = b;
  const [dweight, dbias] = b.lnSink ?? [model.g(`${name}.weight`), model.g(`${name}.bias`)];
  const w = model.p(`${name}.weight`);
  return layernormBackward(ctx, dx, dweight, dbias, dout, x, w, mean, rstd, BT, model.config.nEmbd);
}

/** A linear layer fed by GELU: its input gradient continues through GELU's backward. */
interface GeluInput {
  pre: Buf; // (BT,C): GELU's input, kept by the forward
  dpre: Buf; // (BT,C): its gradient, written
}

// dinp (BT,C) = dout (BT,OC) · W (OC,C); dW (OC,C) += dout^T · inp; dbias (OC) += colsum(dout);
// with an adapter: v (BT,r) = c dout · A, dinp += v · B^T, dA (OC,r) += dout^T · u, dB (C,r) += inp^T · v.
// With `gelu`, dpre = dinp * gelu'(pre) in the dinp product's store (dinp is then not written),
// or, after an adapter, by GELU's own kernel adding into dpre (cleared by the caller).
function linearBack(
  b: BackwardPass,
  l: number,
  target: LoraTarget,
  dinp: Buf,
  dout: Buf,
  inp: Buf,
  gelu?: GeluInput,
): Promise<KernelOp>[] {
  const layer = `h.${l}.${target}`;
  const { ctx, model, BT: M } = b;
  const [OC, C] = linearShape(b, layer);
  const ad = adapterOf(b, l, target);
  const fused = gelu && !ad;
  const w = model.p(`${layer}.weight`);
  const shape = { M, N: C, K: OC };
  const ops = [
    fused
      ? matmul(ctx, gelu.dpre, dout, w, null, shape, { geluGradAt: gelu.pre })
      : matmul(ctx, dinp, dout, w, null, shape),
  ];
  const acc = { transA: true, accumulate: true };
  if (b.baseLearns) {
    ops.push(
      matmul(ctx, model.g(`${layer}.weight`), dout, inp, null, { M: OC, N: C, K: M, ...acc }),
      biasBackward(ctx, model.g(`${layer}.bias`), dout, M, OC),
    );
  }
  if (ad) {
    ops.push(
      matmul(ctx, ad.v, dout, ad.a, null, { M, N: ad.r, K: OC }),
      scale(ctx, ad.v, M * ad.r, ad.c),
      matmul(ctx, dinp, ad.v, ad.b, null, { M, N: C, K: ad.r, transB: true, accumulate: true }),
      matmul(ctx, ad.da, dout, ad.u, null, { M: OC, N: ad.r, K: M, ...acc }),
      matmul(ctx, ad.db, inp, ad.v, null, { M: C, N: ad.r, K: M, ...acc }),
    );
    if (gelu) ops.push(geluBackward(ctx, gelu.dpre, gelu.pre, dinp, M * C));
  }
  return ops;
}

// dqkv (B,T,3C) += from datty (B,T,C), with the forward's qkv, atty and attSaved
function attentionBack(b: BackwardPass, a: LayerActivations) {
  const { acts } = b;
  const { nEmbd: C, nHead: NH } = b.model.config;
  return attentionBackward(
    b.ctx,
    acts.dqkv,
    acts.datty,
    a.qkv,
    a.atty,
    a.attSaved,
    acts.attDelta,
    acts.B,
    acts.T,
    C,
    NH,
  );
}

// Block l's backward, blockForward read bottom up. The residual adds need no op: dresidual
// flows to both of their inputs unchanged, and each branch's LayerNorm adds its dx into it.
function blockBackward(b: BackwardPass, l: number): Promise<KernelOp>[] {
  const h = `h.${l}.`;
  const a = b.acts.layers[l];
  const x = b.acts.residualIn(l);
  const { dresidual, dln, datty, dqkv, dfch, dfchGelu } = b.acts;
  return [
    ...linearBack(b, l, 'mlp.c_proj', dfchGelu, dresidual, a.fchGelu, { pre: a.fch, dpre: dfch }),
    ...linearBack(b, l, 'mlp.c_fc', dln, dfch, a.ln2),
    layernormBack(b, `${h}ln_2`, dresidual, dln, a.residual2, a.ln2Mean, a.ln2Rstd),
    ...linearBack(b, l, 'attn.c_proj', datty, dresidual, a.atty),
    attentionBack(b, a),
    ...linearBack(b, l, 'attn.c_attn', dln, dqkv, a.ln1),
    layernormBack(b, `${h}ln_1`, dresidual, dln, x, a.ln1Mean, a.ln1Rstd),
  ];
}

// dln (BT,C) = dlogits (BT,V) · wte (V,C); dwte (V,C) += dlogits^T · lnf (BT,C)
function lmHeadBack(b: BackwardPass): Promise<KernelOp>[] {
  const { ctx, model, acts, BT } = b;
  const { nEmbd: C, vocabSize: V } = model.config;
  const ops = [matmul(ctx, acts.dln, acts.logits, model.p('wte'), null, { M: BT, N: C, K: V })];
  if (b.baseLearns) {
    ops.push(
      matmul(ctx, model.g('wte'), acts.logits, acts.lnf, null, {
        M: V,
        N: C,
        K: BT,
        transA: true,
        accumulate: true,
      }),
    );
  }
  return ops;
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
  const lora = trains instanceof LoraModel ? trains : undefined;
  const lnSink = acts.lora?.lnSink;
  if (lora && !lnSink)
    throw new Error('These activations were made without adapters: pass the LoRA table.');
  const b: BackwardPass = { ...makePass(ctx, model, acts, lora), baseLearns: !lora, lnSink };
  const { nEmbd: C, nLayer } = model.config;
  const { dresidual, dln } = acts;
  const last = acts.residualIn(nLayer);
  const commands: Command[] = [
    { clear: dresidual },
    ...(await Promise.all([
      ...lmHeadBack(b),
      layernormBack(b, 'ln_f', dresidual, dln, last, acts.lnfMean, acts.lnfRstd),
    ])),
  ];
  for (let l = nLayer - 1; l >= 0; l--) {
    // GELU's backward adds into dfch only when it runs as its own kernel, after an adapter.
    const geluAlone = adapterOf(b, l, 'mlp.c_proj') !== null;
    commands.push(
      ...(geluAlone ? [{ clear: acts.dfch }] : []),
      { clear: acts.dqkv },
      ...(await Promise.all(blockBackward(b, l))),
    );
  }
  if (!(trains instanceof LoraModel))
    commands.push(
      await embeddingBackward(
        ctx,
        model.g('wte'),
        model.g('wpe'),
        dresidual,
        trains,
        acts.B,
        acts.T,
        C,
      ),
    );
  return commands;
}
