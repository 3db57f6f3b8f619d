// Float64 twin of src/model/gpt.ts: the same GPT-2 forward and backward, built from the
// reference kernels in the same order, on one flat parameter array laid out by the table; with
// optional LoRA adapters, as the GPU computes them.
import type { GPTConfig } from '../model/config';
import type { LoraTable } from '../model/lora';
import { buildParamTable, type ParamTable, tensor } from '../model/params';
import { attentionBackward, attentionForward } from './attention';
import { crossentropyForwardBackward, sequenceLoss } from './crossentropy';
import { embeddingBackward, embeddingForward } from './embedding';
import { geluBackward, geluForward } from './gelu';
import { layernormBackward, layernormForward } from './layernorm';
import { biasBackward, matmul } from './matmul';
import { residualForward } from './residual';
import { scale } from './scale';

export interface ReferenceResult {
  /** (B,T,V), before the loss. */
  logits: Float64Array;
  /** (B,T) */
  losses: Float64Array;
  /** (B) */
  seqLoss: Float64Array;
  meanLoss: number;
  /** d meanLoss / d params, in the table's layout. */
  grads: Float64Array;
  /** d meanLoss / d adapters, in the LoRA table's layout (empty without adapters). */
  loraGrads: Float64Array;
}

/** Adapters for the reference: their layout and their factors A, B in it. */
export interface ReferenceLora {
  table: LoraTable;
  weights: ArrayLike<number>;
}

interface Layer {
  ln1: Float64Array;
  ln1Mean: Float64Array;
  ln1Rstd: Float64Array;
  qkv: Float64Array;
  atty: Float64Array;
  attSaved: Float64Array;
  attproj: Float64Array;
  residual2: Float64Array;
  ln2: Float64Array;
  ln2Mean: Float64Array;
  ln2Rstd: Float64Array;
  fch: Float64Array;
  fchGelu: Float64Array;
  fcproj: Float64Array;
  residual3: Float64Array;
}

/** Forward, loss (mean over all B*T targets) and backward of a GPT in float64. */
export function referenceGpt(
  config: GPTConfig,
  params: ArrayLike<number>,
  tokens: ArrayLike<number>,
  targets: ArrayLike<number>,
  B: number,
  T: number,
  table: ParamTable = buildParamTable(config),
  lora?: ReferenceLora,
): ReferenceResult {
  const { nEmbd: C, nHead: NH, vocabSize: V, nLayer: L } = config;
  const BT = B * T;
  const flat = Float64Array.from(params);
  const grads = new Float64Array(table.totalLength);
  const view = (a: Float64Array, name: string) => {
    const t = tensor(table, name);
    return a.subarray(t.offset, t.offset + t.length);
  };
  const p = (n: string) => view(flat, n);
  const g = (n: string) => view(grads, n);
  const f = (n: number) => new Float64Array(n);
  const loraFlat = Float64Array.from(lora?.weights ?? []);
  const loraGrads = new Float64Array(loraFlat.length);
  const saved = new Map<string, Float64Array>(); // c inp · B (BT, r) of each adapter
  // The adapter on layer `name` as (A (OC,r), B (K,r), dA, dB, r, c), if there is one.
  const adapter = (name: string) => {
    const q = lora?.table.byName.get(name);
    if (!lora || !q) return null;
    const at = (a: Float64Array, o: number, len: number) => a.subarray(o, o + len);
    return {
      A: at(loraFlat, q.aOffset, q.m * q.r),
      B: at(loraFlat, q.bOffset, q.n * q.r),
      dA: at(loraGrads, q.aOffset, q.m * q.r),
      dB: at(loraGrads, q.bOffset, q.n * q.r),
      r: q.r,
      c: lora.table.scale,
    };
  };
  // out (BT,OC) = inp (BT,K) · W^T + bias [+ u · A^T, u = c inp · B saved for backward]
  const linearForward = (
    out: Float64Array,
    name: string,
    inp: Float64Array,
    K: number,
    OC: number,
  ) => {
    matmul(out, inp, p(`${name}.weight`), p(`${name}.bias`), { M: BT, N: OC, K, transB: true });
    const ad = adapter(name);
    if (!ad) return;
    const u = f(BT * ad.r);
    matmul(u, inp, ad.B, null, { M: BT, N: ad.r, K });
    scale(u, ad.c);
    matmul(out, u, ad.A, null, { M: BT, N: OC, K: ad.r, transB: true, accumulate: true });
    saved.set(name, u);
  };

  const encoded = f(BT * C);
  embeddingForward(encoded, tokens, p('wte'), p('wpe'), B, T, C);
  const layers: Layer[] = [];
  let x: Float64Array = encoded;
  for (let l = 0; l < L; l++) {
    const h = `h.${l}.`;
    const a: Layer = {
      ln1: f(BT * C),
      ln1Mean: f(BT),
      ln1Rstd: f(BT),
      qkv: f(BT * 3 * C),
      atty: f(BT * C),
      attSaved: f(B * NH * T),
      attproj: f(BT * C),
      residual2: f(BT * C),
      ln2: f(BT * C),
      ln2Mean: f(BT),
      ln2Rstd: f(BT),
      fch: f(BT * 4 * C),
      fchGelu: f(BT * 4 * C),
      fcproj: f(BT * C),
      residual3: f(BT * C),
    };
    layernormForward(
      a.ln1,
      a.ln1Mean,
      a.ln1Rstd,
      x,
      p(`${h}ln_1.weight`),
      p(`${h}ln_1.bias`),
      BT,
      C,
    );
    linearForward(a.qkv, `${h}attn.c_attn`, a.ln1, C, 3 * C);
    attentionForward(a.atty, a.attSaved, a.qkv, B, T, C, NH);
    linearForward(a.attproj, `${h}attn.c_proj`, a.atty, C, C);
    residualForward(a.residual2, x, a.attproj);
    layernormForward(
      a.ln2,
      a.ln2Mean,
      a.ln2Rstd,
      a.residual2,
      p(`${h}ln_2.weight`),
      p(`${h}ln_2.bias`),
      BT,
      C,
    );
    linearForward(a.fch, `${h}mlp.c_fc`, a.ln2, C, 4 * C);
    geluForward(a.fchGelu, a.fch, BT * 4 * C);
    linearForward(a.fcproj, `${h}mlp.c_proj`, a.fchGelu, 4 * C, C);
    residualForward(a.residual3, a.residual2, a.fcproj);
    layers.push(a);
    x = a.residual3;
  }
  const lnf = f(BT * C);
  const lnfMean = f(BT);
  const lnfRstd = f(BT);
  layernormForward(lnf, lnfMean, lnfRstd, x, p('ln_f.weight'), p('ln_f.bias'), BT, C);
  const logits = f(BT * V);
  matmul(logits, lnf, p('wte'), null, { M: BT, N: V, K: C, transB: true });

  const losses = f(BT);
  const dlogits = Float64Array.from(logits);
  crossentropyForwardBackward(losses, dlogits, targets, BT, V, 1 / BT);
  const seqLoss = f(B);
  const meanLoss = f(1);
  sequenceLoss(seqLoss, meanLoss, losses, targets, B, T);

  const dresidual = f(BT * C);
  const dln = f(BT * C);
  matmul(dln, dlogits, p('wte'), null, { M: BT, N: C, K: V });
  matmul(g('wte'), dlogits, lnf, null, { M: V, N: C, K: BT, transA: true, accumulate: true });
  layernormBackward(
    dresidual,
    g('ln_f.weight'),
    g('ln_f.bias'),
    dln,
    x,
    p('ln_f.weight'),
    lnfMean,
    lnfRstd,
    BT,
    C,
  );
  // dinp (M,C) = dout · W; dW += dout^T · inp; dbias += colsum(dout); with an adapter:
  // v = c dout · A, dinp += v · B^T, dA += dout^T · u, dB += inp^T · v
  const linearBackward = (
    dinp: Float64Array,
    name: string,
    dout: Float64Array,
    inp: Float64Array,
    K: number,
    OC: number,
  ) => {
    matmul(dinp, dout, p(`${name}.weight`), null, { M: BT, N: K, K: OC });
    matmul(g(`${name}.weight`), dout, inp, null, {
      M: OC,
      N: K,
      K: BT,
      transA: true,
      accumulate: true,
    });
    biasBackward(g(`${name}.bias`), dout, BT, OC);
    const ad = adapter(name);
    const u = saved.get(name);
    if (!ad || !u) return;
    const v = f(BT * ad.r);
    matmul(v, dout, ad.A, null, { M: BT, N: ad.r, K: OC });
    scale(v, ad.c);
    matmul(dinp, v, ad.B, null, { M: BT, N: K, K: ad.r, transB: true, accumulate: true });
    matmul(ad.dA, dout, u, null, { M: OC, N: ad.r, K: BT, transA: true, accumulate: true });
    matmul(ad.dB, inp, v, null, { M: K, N: ad.r, K: BT, transA: true, accumulate: true });
  };
  for (let l = L - 1; l >= 0; l--) {
    const h = `h.${l}.`;
    const a = layers[l];
    const xin = l === 0 ? encoded : layers[l - 1].residual3;
    const dfchGelu = f(BT * 4 * C);
    const dfch = f(BT * 4 * C);
    const datty = f(BT * C);
    const dqkv = f(BT * 3 * C);
    linearBackward(dfchGelu, `${h}mlp.c_proj`, dresidual, a.fchGelu, 4 * C, C);
    geluBackward(dfch, a.fch, dfchGelu, BT * 4 * C);
    linearBackward(dln, `${h}mlp.c_fc`, dfch, a.ln2, C, 4 * C);
    layernormBackward(
      dresidual,
      g(`${h}ln_2.weight`),
      g(`${h}ln_2.bias`),
      dln,
      a.residual2,
      p(`${h}ln_2.weight`),
      a.ln2Mean,
      a.ln2Rstd,
      BT,
      C,
    );
    linearBackward(datty, `${h}attn.c_proj`, dresidual, a.atty, C, C);
    attentionBackward(dqkv, datty, a.qkv, a.attSaved, B, T, C, NH);
    linearBackward(dln, `${h}attn.c_attn`, dqkv, a.ln1, C, 3 * C);
    layernormBackward(
      dresidual,
      g(`${h}ln_1.weight`),
      g(`${h}ln_1.bias`),
      dln,
      xin,
      p(`${h}ln_1.weight`),
      a.ln1Mean,
      a.ln1Rstd,
      BT,
      C,
    );
  }
  embeddingBackward(g('wte'), g('wpe'), dresidual, tokens, B, T, C);
  return { logits, losses, seqLoss, meanLoss: meanLoss[0], grads, loraGrads };
}
