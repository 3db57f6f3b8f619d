// Float64 twin of src/model/gpt.ts: the same GPT-2 forward and backward, built from the
// reference kernels in the same order, on one flat parameter array laid out by the table.
import type { GPTConfig } from '../model/config';
import { buildParamTable, type ParamTable, tensor } from '../model/params';
import { attentionBackward, attentionForward } from './attention';
import { crossentropyForwardBackward, sequenceLoss } from './crossentropy';
import { embeddingBackward, embeddingForward } from './embedding';
import { geluBackward, geluForward } from './gelu';
import { layernormBackward, layernormForward } from './layernorm';
import { biasBackward, matmul } from './matmul';
import { residualForward } from './residual';

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
    matmul(a.qkv, a.ln1, p(`${h}attn.c_attn.weight`), p(`${h}attn.c_attn.bias`), {
      M: BT,
      N: 3 * C,
      K: C,
      transB: true,
    });
    attentionForward(a.atty, a.attSaved, a.qkv, B, T, C, NH);
    matmul(a.attproj, a.atty, p(`${h}attn.c_proj.weight`), p(`${h}attn.c_proj.bias`), {
      M: BT,
      N: C,
      K: C,
      transB: true,
    });
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
    matmul(a.fch, a.ln2, p(`${h}mlp.c_fc.weight`), p(`${h}mlp.c_fc.bias`), {
      M: BT,
      N: 4 * C,
      K: C,
      transB: true,
    });
    geluForward(a.fchGelu, a.fch, BT * 4 * C);
    matmul(a.fcproj, a.fchGelu, p(`${h}mlp.c_proj.weight`), p(`${h}mlp.c_proj.bias`), {
      M: BT,
      N: C,
      K: 4 * C,
      transB: true,
    });
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
  // dinp (M,C) = dout · W; dW += dout^T · inp; dbias += colsum(dout)
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
  return { logits, losses, seqLoss, meanLoss: meanLoss[0], grads };
}
