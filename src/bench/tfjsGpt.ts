// The GPT-2 of src/model/gpt.ts and the Trainer's AdamW step, written with TensorFlow.js ops:
// the peer our engine is measured against in the training benchmark (npm run bench:train).
// Benchmark-only: the studio never loads TensorFlow.js.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients (the @tensorflow/tfjs bundle does this import).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { GPTConfig, TrainConfig } from '../model/config';
import type { ParamTable } from '../model/params';
import { learningRateAt } from '../train/lrSchedule';
import { twinTable } from './twinTable';

const LN_EPS = 1e-5;
// The Trainer's AdamW epsilon.
const ADAM_EPS = 1e-8;
const GELU_S = Math.sqrt(2 / Math.PI);
// exp of (this - row max) is 0 in f32, so masked positions get exactly zero weight.
const MASKED = -1e9;

/** What one TF.js step hands back: scalars on the GPU, for the caller to read and dispose. */
export interface TfjsStep {
  /** Mean cross-entropy of the batch before the update. */
  loss: tf.Scalar;
  /** Global L2 norm of the gradient before clipping. */
  gradNorm: tf.Scalar;
}

// out (N,C) = (x - mean) / sqrt(var + eps) * w (C) + b (C) over each row of x (N,C)
function layernorm(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPS))), w), b);
}

// out (N,OC) = x (N,C) · W^T (OC,C) + b (OC): our matrices are stored (out, in)
function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x, w as tf.Tensor2D, false, true), b);
}

// out = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), GPT-2's tanh form
function gelu(x: tf.Tensor2D): tf.Tensor2D {
  const u = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), GELU_S);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(u), 1));
}

/**
 * A GPT with its parameters as tf.Variables sliced from the same flat buffer our model starts
 * from, trained by the same AdamW (decoupled decay on the table's decay tensors, global-norm
 * clipping, the Trainer's learning-rate schedule). Batches of gradAccumSteps = 1 only.
 */
export class TfjsGpt {
  readonly table: ParamTable;
  private readonly names: string[];
  private readonly params: tf.Variable[];
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly decays: boolean[];
  /** (T,T): 0 on and below the diagonal, MASKED above, added to every head's scores. */
  private readonly mask: tf.Tensor2D;
  /** Optimizer steps taken so far. */
  step = 0;

  constructor(
    readonly config: GPTConfig,
    readonly train: TrainConfig,
    initialParams: Float32Array,
  ) {
    this.table = twinTable('TfjsGpt', config, train, initialParams);
    const tensors = this.table.tensors;
    this.names = tensors.map((t) => t.name);
    this.decays = tensors.map((t) => t.decay);
    // Unnamed: tf.variable names are global, and two models (or a test's) may coexist.
    this.params = tensors.map((t) =>
      tf.variable(tf.tensor(initialParams.slice(t.offset, t.offset + t.length), [...t.shape])),
    );
    const zeros = (t: (typeof tensors)[number]) => tf.variable(tf.zeros([...t.shape]), false);
    this.m = tensors.map(zeros);
    this.v = tensors.map(zeros);
    const T = config.blockSize;
    this.mask = tf.tidy(() =>
      tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), MASKED),
    );
  }

  private p(name: string): tf.Variable {
    return this.params[this.names.indexOf(name)];
  }

  // y (B*T,C) = causal softmax(q k^T / sqrt(hs)) v per head, from qkv (B*T,3C)
  private attention(qkv: tf.Tensor2D, B: number, T: number): tf.Tensor2D {
    const { nEmbd: C, nHead: NH } = this.config;
    const hs = C / NH;
    // (B,NH,T,hs) each
    const [q, k, v] = tf
      .split(qkv, 3, 1)
      .map((x) => tf.transpose(tf.reshape(x, [B, T, NH, hs]), [0, 2, 1, 3]));
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hs)), this.mask);
    const y = tf.matMul(tf.softmax(scores), v); // (B,NH,T,hs)
    return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, C]);
  }

  /** Mean cross-entropy of next-token prediction; tokens, targets (B*T) int32. */
  loss(tokens: tf.Tensor1D, targets: tf.Tensor1D, B: number): tf.Scalar {
    const { nLayer: L, vocabSize: V, nEmbd: C } = this.config;
    const T = tokens.shape[0] / B;
    const p = (n: string) => this.p(n);
    const wte = p('wte');
    // (B*T,C): token embedding plus the position embedding of each row's position
    const emb = tf.add(tf.reshape(tf.gather(wte, tokens), [B, T, C]), p('wpe'));
    let x = tf.reshape(emb, [B * T, C]) as tf.Tensor2D;
    for (let l = 0; l < L; l++) {
      const h = `h.${l}.`;
      const ln1 = layernorm(x, p(`${h}ln_1.weight`), p(`${h}ln_1.bias`));
      const qkv = linear(ln1, p(`${h}attn.c_attn.weight`), p(`${h}attn.c_attn.bias`));
      const atty = this.attention(qkv, B, T);
      x = tf.add(x, linear(atty, p(`${h}attn.c_proj.weight`), p(`${h}attn.c_proj.bias`)));
      const ln2 = layernorm(x, p(`${h}ln_2.weight`), p(`${h}ln_2.bias`));
      const fch = gelu(linear(ln2, p(`${h}mlp.c_fc.weight`), p(`${h}mlp.c_fc.bias`)));
      x = tf.add(x, linear(fch, p(`${h}mlp.c_proj.weight`), p(`${h}mlp.c_proj.bias`)));
    }
    const lnf = layernorm(x, p('ln_f.weight'), p('ln_f.bias'));
    // The head is tied to the token embedding, as in ours.
    const logits = tf.matMul(lnf, wte as tf.Tensor2D, false, true); // (B*T,V)
    // softmaxCrossEntropy's own gradient is softmax - labels; its default reduction is the mean.
    return tf.losses.softmaxCrossEntropy(tf.oneHot(targets, V, 1, 0, 'float32'), logits);
  }

  /**
   * One optimizer step on inputs, targets (B*T) token ids: forward, backward, global-norm clip,
   * AdamW. Everything it makes is disposed but the two scalars it returns.
   */
  trainStep(inputs: Uint32Array, targets: Uint32Array): TfjsStep {
    const { beta1, beta2, weightDecay, gradClip, batchSize: B } = this.train;
    const lr = learningRateAt(this.step, this.train);
    this.step++;
    const biasCorrection1 = 1 - beta1 ** this.step;
    const biasCorrection2 = 1 - beta2 ** this.step;
    return tf.tidy(() => {
      const tok = tf.tensor1d(Int32Array.from(inputs), 'int32');
      const tgt = tf.tensor1d(Int32Array.from(targets), 'int32');
      const { value, grads } = tf.variableGrads(() => this.loss(tok, tgt, B), this.params);
      const dparams = this.params.map((param) => grads[param.name]);
      // Added pairwise, not by tf.addN: the WebGPU backend's addN of more inputs than a shader
      // may bind storage buffers silently returns zeros.
      const sumSq = dparams.map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b));
      const gradNorm = tf.sqrt(sumSq) as tf.Scalar;
      // The Trainer's clip: min(1, clip / (norm + 1e-6)), or none when clip is 0.
      const scale = gradClip > 0 ? tf.minimum(1, tf.div(gradClip, tf.add(gradNorm, 1e-6))) : 1;
      dparams.forEach((dparam, i) => {
        const [param, m, v] = [this.params[i], this.m[i], this.v[i]];
        const g = tf.mul(dparam, scale);
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        let update = tf.div(
          tf.div(m, biasCorrection1),
          tf.add(tf.sqrt(tf.div(v, biasCorrection2)), ADAM_EPS),
        );
        if (this.decays[i]) update = tf.add(update, tf.mul(param, weightDecay));
        param.assign(tf.sub(param, tf.mul(update, lr)));
      });
      return { loss: value, gradNorm };
    });
  }

  dispose(): void {
    for (const t of [...this.params, ...this.m, ...this.v, this.mask]) t.dispose();
  }
}
