import { createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { attentionSavedLength } from '../kernels/attention';
import type { GPTConfig } from './config';
import type { LoraTable } from './lora';

/** What one layer's forward keeps for its backward (llm.c's ActivationTensors, per layer). */
export interface LayerActivations {
  ln1: GPUBuffer; // (B,T,C)
  ln1Mean: GPUBuffer; // (B,T)
  ln1Rstd: GPUBuffer; // (B,T)
  qkv: GPUBuffer; // (B,T,3C)
  atty: GPUBuffer; // (B,T,C)
  attSaved: GPUBuffer; // attentionSavedLength(B,T,NH)
  residual2: GPUBuffer; // (B,T,C) = input + attn.c_proj(atty), one matmul's store
  ln2: GPUBuffer; // (B,T,C)
  ln2Mean: GPUBuffer; // (B,T)
  ln2Rstd: GPUBuffer; // (B,T)
  fch: GPUBuffer; // (B,T,4C)
  fchGelu: GPUBuffer; // (B,T,4C)
  residual3: GPUBuffer; // (B,T,C) = residual2 + mlp.c_proj(fchGelu), one matmul's store
}

/** What the adapters of a fine-tuning run keep (see buildForward's `lora`). */
export interface LoraActivations {
  /** Per adapted layer: (alpha/r) inp · B (B*T, r), saved by the forward for dA. */
  u: ReadonlyMap<string, GPUBuffer>;
  /** Backward scratch shared by every adapter: (alpha/r) dout · A (B*T, r). */
  v: GPUBuffer;
  /** Where LayerNorm backward puts its gain and bias gradients of the frozen base (C each). */
  lnSink: [GPUBuffer, GPUBuffer];
}

/** The forward activations of a (B, T) batch, and the gradient scratch its backward reuses. */
export class Activations {
  readonly encoded: GPUBuffer; // (B,T,C)
  readonly layers: LayerActivations[];
  readonly lnf: GPUBuffer; // (B,T,C)
  readonly lnfMean: GPUBuffer; // (B,T)
  readonly lnfRstd: GPUBuffer; // (B,T)
  readonly logits: GPUBuffer; // (B,T,V); holds dlogits after the fused loss
  readonly losses: GPUBuffer; // (B,T)
  readonly seqLoss: GPUBuffer; // (B)
  readonly meanLoss: GPUBuffer; // (1)
  // Backward scratch, shared by every layer: the residual stream's gradient and one layer's worth.
  readonly dresidual: GPUBuffer; // (B,T,C)
  readonly dln: GPUBuffer; // (B,T,C)
  readonly datty: GPUBuffer; // (B,T,C)
  readonly dqkv: GPUBuffer; // (B,T,3C)
  readonly dfch: GPUBuffer; // (B,T,4C)
  readonly dfchGelu: GPUBuffer; // (B,T,4C) with adapters; else unused (GELU backward is fused)
  readonly attDelta: GPUBuffer; // attentionSavedLength(B,T,NH): attention backward's scratch
  /** Set when the batch runs with adapters (`lora` given). */
  readonly lora: LoraActivations | null;
  private readonly all: GPUBuffer[] = [];

  constructor(
    ctx: GpuContext,
    readonly config: GPTConfig,
    readonly B: number,
    readonly T: number,
    withBackward: boolean,
    lora?: LoraTable,
  ) {
    const { nEmbd: C, nHead: NH, vocabSize: V } = config;
    const BT = B * T;
    const make = (label: string, length: number) => {
      const b = createStorage(ctx, `act:${label}`, length);
      this.all.push(b);
      return b;
    };
    this.encoded = make('encoded', BT * C);
    this.layers = Array.from({ length: config.nLayer }, (_, l) => ({
      ln1: make(`h${l}.ln1`, BT * C),
      ln1Mean: make(`h${l}.ln1Mean`, BT),
      ln1Rstd: make(`h${l}.ln1Rstd`, BT),
      qkv: make(`h${l}.qkv`, BT * 3 * C),
      atty: make(`h${l}.atty`, BT * C),
      attSaved: make(`h${l}.attSaved`, attentionSavedLength(B, T, NH)),
      residual2: make(`h${l}.residual2`, BT * C),
      ln2: make(`h${l}.ln2`, BT * C),
      ln2Mean: make(`h${l}.ln2Mean`, BT),
      ln2Rstd: make(`h${l}.ln2Rstd`, BT),
      fch: make(`h${l}.fch`, BT * 4 * C),
      fchGelu: make(`h${l}.fchGelu`, BT * 4 * C),
      residual3: make(`h${l}.residual3`, BT * C),
    }));
    this.lnf = make('lnf', BT * C);
    this.lnfMean = make('lnfMean', BT);
    this.lnfRstd = make('lnfRstd', BT);
    this.logits = make('logits', BT * V);
    this.losses = make('losses', BT);
    this.seqLoss = make('seqLoss', B);
    this.meanLoss = make('meanLoss', 1);
    const grad = (label: string, length: number) => make(label, withBackward ? length : 1);
    this.dresidual = grad('dresidual', BT * C);
    this.dln = grad('dln', BT * C);
    this.datty = grad('datty', BT * C);
    this.dqkv = grad('dqkv', BT * 3 * C);
    this.dfch = grad('dfch', BT * 4 * C);
    // Only GELU's standalone backward (after an adapter on mlp.c_proj) stores this gradient.
    this.dfchGelu = grad('dfchGelu', lora ? BT * 4 * C : 1);
    this.attDelta = grad('attDelta', attentionSavedLength(B, T, NH));
    this.lora = lora
      ? {
          u: new Map(lora.pairs.map((p) => [p.name, make(`${p.name}.lora.u`, BT * lora.rank)])),
          v: grad('lora.v', BT * lora.rank),
          lnSink: [grad('lnSink.weight', C), grad('lnSink.bias', C)],
        }
      : null;
  }

  /** The residual stream entering layer l. */
  residualIn(l: number): GPUBuffer {
    return l === 0 ? this.encoded : this.layers[l - 1].residual3;
  }

  destroy(): void {
    for (const b of this.all) b.destroy();
  }
}
