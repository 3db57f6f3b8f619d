// The GPT-2 of src/model/gpt.ts and the Trainer's AdamW step, written as a jax-js user writes
// them: parameters in a pytree, one jit-compiled training step (valueAndGrad of the loss,
// global-norm clip, AdamW). The second peer our engine is measured against in bench:train.
// Benchmark-only: the studio never loads jax-js. jax-js functions take ownership of the arrays
// they are given (reference counting), hence the `.ref` on every array used more than once.
import { defaultDevice, init, jit, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import type { GPTConfig, TrainConfig } from '../model/config';
import type { ParamTable } from '../model/params';
import { learningRateAt } from '../train/lrSchedule';
import { twinTable } from './twinTable';

const LN_EPS = 1e-5;
// The Trainer's AdamW epsilon.
const ADAM_EPS = 1e-8;

/** One array per tensor of the parameter table, by its name. */
type Params = { [name: string]: np.Array };

type OptState = { params: Params; m: Params; v: Params };

/** The step's inputs that change from step to step, as f32 scalars (not recompiled). */
type Schedule = { lr: np.Array; biasCorrection1: np.Array; biasCorrection2: np.Array };

/** What one jax-js step hands back: scalars on the GPU, for the caller to read. */
export interface JaxStep {
  /** Mean cross-entropy of the batch before the update. */
  loss: np.Array;
  /** Global L2 norm of the gradient before clipping. */
  gradNorm: np.Array;
}

/**
 * Starts jax-js's WebGPU backend (it requests its own adapter and device) and makes it the
 * default; throws with jax-js's list of the devices it could start when WebGPU is not one.
 */
export async function initJaxWebGpu(): Promise<void> {
  const available = await init('webgpu');
  if (!available.includes('webgpu')) {
    throw new Error(
      `jax-js could not start its WebGPU backend (devices: ${available.join(', ')}).`,
    );
  }
  defaultDevice('webgpu');
}

// out (N,C) = (x - mean) / sqrt(var + eps) * w (C) + b (C) over each row of x (N,C)
function layernorm(x: np.Array, w: np.Array, b: np.Array): np.Array {
  return nn.standardize(x, -1, { epsilon: LN_EPS }).mul(w).add(b);
}

// out (N,OC) = x (N,C) · W^T (OC,C) + b (OC): our matrices are stored (out, in)
function linear(x: np.Array, w: np.Array, b: np.Array): np.Array {
  return np.matmul(x, w.transpose()).add(b);
}

/** Mean cross-entropy of next-token prediction; tokens, targets (B*T) int32. */
function gptLoss(
  config: GPTConfig,
  B: number,
  p: Params,
  tokens: np.Array,
  targets: np.Array,
): np.Array {
  const { nLayer: L, nHead: NH, nEmbd: C, vocabSize: V } = config;
  const T = tokens.shape[0] / B;
  const hs = C / NH;
  // (B*T,C): token embedding plus each row's position embedding. Kept 2-D: in jax-js 0.1.25,
  // jit of take's gradient (a scatter) fails when a reshape lies between the two ("routine
  // primitive scatter input is not imm").
  let x = np.take(p.wte.ref, tokens, 0).add(np.tile(p.wpe, [B, 1]));
  for (let l = 0; l < L; l++) {
    const h = `h.${l}.`;
    const ln1 = layernorm(x.ref, p[`${h}ln_1.weight`], p[`${h}ln_1.bias`]);
    const qkv = linear(ln1, p[`${h}attn.c_attn.weight`], p[`${h}attn.c_attn.bias`]);
    // (B,T,NH,hs) each, the layout dotProductAttention takes
    const [q, k, v] = np.split(qkv, 3, 1).map((a) => a.reshape([B, T, NH, hs]));
    const atty = nn.dotProductAttention(q, k, v, { isCausal: true }).reshape([B * T, C]);
    x = x.add(linear(atty, p[`${h}attn.c_proj.weight`], p[`${h}attn.c_proj.bias`]));
    const ln2 = layernorm(x.ref, p[`${h}ln_2.weight`], p[`${h}ln_2.bias`]);
    // GPT-2's tanh form of GELU
    const fch = nn.gelu(linear(ln2, p[`${h}mlp.c_fc.weight`], p[`${h}mlp.c_fc.bias`]), {
      approximate: true,
    });
    x = x.add(linear(fch, p[`${h}mlp.c_proj.weight`], p[`${h}mlp.c_proj.bias`]));
  }
  const lnf = layernorm(x, p['ln_f.weight'], p['ln_f.bias']);
  // The head is tied to the token embedding, as in ours.
  const logits = np.matmul(lnf, p.wte.transpose()); // (B*T,V)
  // Each row's target picked by an equality mask: nn.oneHot takes rows of eye(V), a 10 GB
  // array for GPT-2's vocabulary, past WebGPU's 1 GiB buffer limit.
  const isTarget = targets
    .reshape([B * T, 1])
    .equal(np.arange(V, undefined, undefined, { dtype: np.int32 }));
  return np
    .where(isTarget, nn.logSoftmax(logits), 0)
    .sum()
    .mul(-1 / (B * T));
}

/**
 * The jit-compiled training step: (state, tokens, targets, schedule) -> (next state, loss,
 * gradient norm before clipping). Consumes its arguments, as jax-js functions do.
 */
function makeTrainStep(
  config: GPTConfig,
  train: TrainConfig,
  decays: ReadonlyMap<string, boolean>,
) {
  const { beta1, beta2, weightDecay, gradClip, batchSize: B } = train;
  const loss = (p: Params, tokens: np.Array, targets: np.Array) =>
    gptLoss(config, B, p, tokens, targets);
  return jit(
    (
      state: OptState,
      tokens: np.Array,
      targets: np.Array,
      s: Schedule,
    ): [OptState, np.Array, np.Array] => {
      const [value, grads] = valueAndGrad(loss)(tree.ref(state.params), tokens, targets);
      const names = Object.keys(grads);
      const sumSq = names.map((n) => np.square(grads[n].ref).sum()).reduce((a, b) => a.add(b));
      const gradNorm = np.sqrt(sumSq);
      // The Trainer's clip: min(1, clip / (norm + 1e-6)), or none when clip is 0.
      const scale =
        gradClip > 0
          ? np.minimum(1, np.reciprocal(gradNorm.ref.add(1e-6)).mul(gradClip))
          : np.array(1);
      const next: OptState = { params: {}, m: {}, v: {} };
      for (const n of names) {
        const g = grads[n].mul(scale.ref);
        const m = state.m[n].mul(beta1).add(g.ref.mul(1 - beta1));
        const v = state.v[n].mul(beta2).add(np.square(g).mul(1 - beta2));
        let update = m.ref
          .div(s.biasCorrection1.ref)
          .div(np.sqrt(v.ref.div(s.biasCorrection2.ref)).add(ADAM_EPS));
        const param = state.params[n];
        if (decays.get(n)) update = update.add(param.ref.mul(weightDecay));
        next.params[n] = param.sub(update.mul(s.lr.ref));
        next.m[n] = m;
        next.v[n] = v;
      }
      tree.dispose([scale, s]);
      return [next, value, gradNorm];
    },
  );
}

/** Loss and gradient of the parameters on one batch, jit-compiled: what the check compares. */
function makeLossAndGrad(config: GPTConfig, B: number) {
  return jit(
    valueAndGrad((p: Params, tokens: np.Array, targets: np.Array) =>
      gptLoss(config, B, p, tokens, targets),
    ),
  );
}

/**
 * A GPT whose parameters start from the same flat buffer as ours, trained by the same AdamW
 * (decoupled decay on the table's decay tensors, global-norm clipping, the Trainer's
 * learning-rate schedule) in one jit-compiled function. Batches of gradAccumSteps = 1 only.
 * Call initJaxWebGpu() first.
 */
export class JaxGpt {
  readonly table: ParamTable;
  private state: OptState;
  private readonly trainStepFn: ReturnType<typeof makeTrainStep>;
  private readonly lossAndGradFn: ReturnType<typeof makeLossAndGrad>;
  /** Optimizer steps taken so far. */
  step = 0;

  constructor(
    readonly config: GPTConfig,
    readonly train: TrainConfig,
    initialParams: Float32Array,
  ) {
    this.table = twinTable('JaxGpt', config, train, initialParams);
    const params: Params = {};
    const m: Params = {};
    const v: Params = {};
    for (const t of this.table.tensors) {
      const shape = [...t.shape];
      params[t.name] = np.array(initialParams.slice(t.offset, t.offset + t.length), { shape });
      m[t.name] = np.zeros(shape);
      v[t.name] = np.zeros(shape);
    }
    this.state = { params, m, v };
    const decays = new Map(this.table.tensors.map((t) => [t.name, t.decay]));
    this.trainStepFn = makeTrainStep(config, train, decays);
    this.lossAndGradFn = makeLossAndGrad(config, train.batchSize);
  }

  /**
   * One optimizer step on inputs, targets (B*T) token ids: forward, backward, global-norm clip,
   * AdamW, all one jit-compiled function. The caller reads and disposes the two scalars.
   */
  trainStep(inputs: Uint32Array, targets: Uint32Array): JaxStep {
    const { beta1, beta2 } = this.train;
    const lr = learningRateAt(this.step, this.train);
    this.step++;
    const schedule: Schedule = {
      lr: np.array(lr),
      biasCorrection1: np.array(1 - beta1 ** this.step),
      biasCorrection2: np.array(1 - beta2 ** this.step),
    };
    const [state, loss, gradNorm] = this.trainStepFn(
      this.state,
      tokenArray(inputs),
      tokenArray(targets),
      schedule,
    );
    this.state = state;
    return { loss, gradNorm };
  }

  /** Loss and gradient of the current parameters on one batch; gradients in the table's layout. */
  async lossAndGrads(
    inputs: Uint32Array,
    targets: Uint32Array,
  ): Promise<{ loss: number; grads: Float32Array }> {
    const [loss, grads] = this.lossAndGradFn(
      tree.ref(this.state.params),
      tokenArray(inputs),
      tokenArray(targets),
    );
    const flat = new Float32Array(this.table.totalLength);
    for (const t of this.table.tensors) flat.set(await grads[t.name].data(), t.offset);
    return { loss: (await loss.data())[0], grads: flat };
  }

  dispose(): void {
    tree.dispose(this.state);
    this.trainStepFn.dispose();
    this.lossAndGradFn.dispose();
  }
}

function tokenArray(ids: Uint32Array): np.Array {
  return np.array(Int32Array.from(ids), { dtype: np.int32 });
}
