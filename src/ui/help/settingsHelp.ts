// What every setting does, in one place: the text behind each HelpTip, keyed by the field's name
// (the form's FieldKey, LfrSettings' keys, and the LoRA form's names), with the formula where
// one says it better than words. Formulas are TeX, typeset by KaTeX when a tip opens.

import type { LfrSettings } from '../../lfr/settings';
import type { FieldKey } from '../../store/settingsForm';

/** The LoRA fine-tuning form's controls. */
export type LoraHelpKey =
  | 'loraRank'
  | 'loraAlpha'
  | 'loraTargets'
  | 'loraOptimizer'
  | 'escapedMass';

/** Every control with an explanation: the training form, its pickers, LFR and LoRA. */
export type HelpKey = FieldKey | 'preset' | 'tokenizer' | 'data' | keyof LfrSettings | LoraHelpKey;

export interface SettingHelp {
  /** The control's name as the form shows it. */
  label: string;
  what: string;
  /** The usual range, and where in it to start. */
  range: string;
  /** For a number: what goes wrong at either end. */
  tooBig?: string;
  tooSmall?: string;
  /** For a choice: what each option costs. */
  tradeOff?: string;
  /** TeX, and a line saying what its symbols stand for. */
  formula?: { tex: string; where: string };
}

const ADAMW = String.raw`\begin{aligned}
m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t, & \hat m_t &= m_t / (1-\beta_1^t) \\
v_t &= \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2, & \hat v_t &= v_t / (1-\beta_2^t) \\
\theta_t &= \theta_{t-1} - \eta_t \left( \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} + \lambda\,\theta_{t-1} \right)
\end{aligned}`;

const COSINE = String.raw`\eta_t = \begin{cases}
\eta_{\max}\,\dfrac{t+1}{w} & t < w \\[4pt]
\eta_{\min} + \tfrac12\,(\eta_{\max}-\eta_{\min})\left(1+\cos\left(\pi\,\dfrac{t-w}{S-w}\right)\right) & t \ge w
\end{cases}`;

const PARAMS = String.raw`N \approx 12\,L\,C^2 + (V + T)\,C`;

export const SETTINGS_HELP: Readonly<Record<HelpKey, SettingHelp>> = {
  preset: {
    label: 'preset',
    what: 'A starting point: a tokenizer, a model size and training settings that work together. Every field stays editable afterwards.',
    range: 'tiny for a laptop or a software GPU; small and medium need a real GPU.',
    tradeOff:
      'Bigger presets learn more per step but need a real GPU: one too big for this GPU is refused with a memory message, or trains very slowly. The tiny one learns letters and short words, not sentences.',
  },
  tokenizer: {
    label: 'tokenizer (vocab_size)',
    what: 'How text becomes ids. Bytes: one id per UTF-8 byte, 256 ids. GPT-2 BPE: 50257 ids for common pieces of words, so a text is about 4 times fewer tokens. vocab_size follows it.',
    range: 'bytes for tiny models; GPT-2 BPE once the model is wide enough to use its vocabulary.',
    tradeOff:
      'GPT-2 BPE makes the embedding and output layer V x C: they hold most of a small model, and the logits most of its memory. Bytes make sequences long, so a context of block_size tokens covers less text.',
    formula: {
      tex: String.raw`\mathcal{L}_0 \approx \ln V:\quad \ln 256 \approx 5.55,\quad \ln 50257 \approx 10.8`,
      where:
        'An untrained model guesses uniformly, so its first loss is about ln of the vocabulary size V.',
    },
  },
  nLayer: {
    label: 'n_layer',
    what: 'How many transformer blocks (attention, then an MLP) are stacked. Depth lets the model build features on features.',
    range: '2 to 12; GPT-2 small has 12.',
    tooBig:
      'Parameters, memory and time per step grow in proportion; a deep model on little data memorises it.',
    tooSmall:
      'One or two layers learn local patterns (letters, common words) but little structure.',
    formula: {
      tex: PARAMS,
      where:
        'N parameters for L layers of width C, vocabulary V and context T: each block holds about 12 C² weights.',
    },
  },
  nHead: {
    label: 'n_head',
    what: 'Attention heads per block: each head attends on its own, in n_embd / n_head channels, so the block can look at several things at once.',
    range: '2 to 12, dividing n_embd; head size 32 to 128.',
    tooBig:
      'Heads get too narrow to carry much each (the studio needs n_embd divisible by n_head).',
    tooSmall:
      'Fewer patterns of attention per layer; a head size over 128 is refused by the attention kernel.',
    formula: {
      tex: String.raw`\operatorname{head}_i = \operatorname{softmax}\!\left(\frac{Q_i K_i^\top}{\sqrt{d}}\right) V_i,\qquad d = C / n_{\text{head}}`,
      where:
        'Each head has its own queries Q, keys K and values V of width d; the future is masked out.',
    },
  },
  nEmbd: {
    label: 'n_embd',
    what: 'The width C of every token vector in the residual stream: how much the model can carry about each position.',
    range: '64 to 768, a multiple of n_head; GPT-2 small has 768.',
    tooBig:
      'Parameters grow as C², so memory and time per step grow fast; it also needs more data and a lower learning rate.',
    tooSmall: 'The model cannot hold enough about each token and its loss levels off high.',
    formula: {
      tex: PARAMS,
      where: 'Doubling the width C roughly quadruples the 12 L C² weights of the blocks.',
    },
  },
  blockSize: {
    label: 'block_size',
    what: 'The context length T: how many tokens the model sees at once, and the length of every training sequence.',
    range: '64 to 1024 (the studio allows at most 1024).',
    tooBig: 'Activations grow with T and attention with T², per step; fewer sequences fit a batch.',
    tooSmall: 'The model cannot use anything further back than T tokens.',
    formula: {
      tex: String.raw`\text{FLOPs per token} \approx 6N + 12\,L\,T\,C`,
      where:
        "nanoGPT's estimate for a training step: the weights' share 6N, attention's share grows with T.",
    },
  },
  batchSize: {
    label: 'batch size',
    what: 'Sequences B per micro-batch. Their gradients are averaged, so a bigger batch gives a less noisy step.',
    range: '4 to 64.',
    tooBig:
      'Activation memory grows in proportion (the logits are B x T x V floats); past some size a step is no better, only dearer.',
    tooSmall: 'Noisy gradients: the loss jumps about and a high learning rate diverges.',
    formula: {
      tex: String.raw`\text{tokens per step} = B \cdot T \cdot k`,
      where: 'B sequences of T tokens, in k accumulated micro-batches.',
    },
  },
  gradAccumSteps: {
    label: 'gradient accumulation steps',
    what: 'Micro-batches k whose gradients are averaged before one optimizer step: the effect of a k times bigger batch with the memory of one.',
    range: '1 to 8.',
    tooBig: 'Each step takes k times longer, so fewer updates happen in the same time.',
    tooSmall: '1 is fine when the batch alone is big enough.',
    formula: {
      tex: String.raw`g = \frac{1}{k} \sum_{i=1}^{k} g_i`,
      where: 'The update uses the mean gradient g of the k micro-batches.',
    },
  },
  maxSteps: {
    label: 'max steps',
    what: 'Optimizer updates S in the run; the learning-rate schedule is laid out over them.',
    range: '30 to 5000 here; a few hundred show a tiny model learning.',
    tooBig:
      'Long runs on a small slice repeat it many times: the validation loss stops falling and rises (memorising).',
    tooSmall: 'The model stops before it has learnt much; the schedule decays early.',
    formula: {
      tex: String.raw`\text{tokens seen} = S \cdot B \cdot T \cdot k`,
      where: 'Compare with the data set size: above it, the run sees text twice.',
    },
  },
  learningRate: {
    label: 'learning rate',
    what: 'The peak step size of AdamW, reached at the end of warmup: how far each update moves the weights.',
    range: '1e-4 to 3e-3; smaller for bigger models (6e-4 for GPT-2 small).',
    tooBig: 'The loss jumps, stalls or becomes NaN (the run diverges).',
    tooSmall: 'The loss falls slowly and the run ends before it has learnt.',
    formula: {
      tex: ADAMW,
      where:
        'AdamW: running means m of the gradient g and v of its square, bias-corrected; η the learning rate, λ the weight decay.',
    },
  },
  minLearningRate: {
    label: 'min learning rate',
    what: 'Where the cosine decay ends, at the last step: small late steps let the weights settle.',
    range: 'about a tenth of the learning rate; at most the learning rate.',
    tooBig: 'Equal to the learning rate means no decay: the loss stays noisier at the end.',
    tooSmall: '0 is fine; the last steps then barely move the weights.',
    formula: {
      tex: COSINE,
      where: 'Warmup for w steps, then a half cosine from η_max down to η_min at step S.',
    },
  },
  warmupSteps: {
    label: 'warmup steps',
    what: "Steps w over which the learning rate ramps up linearly from near 0, while Adam's moment estimates are still poor.",
    range: '0 to a few percent of max steps (10 for 200 steps).',
    tooBig: 'Much of the run is spent at a low rate.',
    tooSmall:
      'The first full-size steps, on poor moment estimates, can throw the model off and spike the loss.',
    formula: { tex: COSINE, where: 'The first case is the warmup: η rises by η_max / w per step.' },
  },
  weightDecay: {
    label: 'weight decay',
    what: 'Pulls every matrix and embedding a little towards zero each step (decoupled from the gradient, as AdamW does); biases and LayerNorm are not decayed.',
    range: '0 to 0.1.',
    tooBig: 'The weights cannot grow enough to fit the data: the loss stays high.',
    tooSmall: '0 turns it off; long runs on small data then overfit sooner.',
    formula: {
      tex: String.raw`\theta \leftarrow \theta - \eta\,\lambda\,\theta`,
      where: 'Each step shrinks the weights θ by the fraction ηλ, besides the Adam update.',
    },
  },
  beta1: {
    label: 'beta1',
    what: 'How fast the running mean m of the gradient forgets (momentum): it averages over about 1 / (1 - beta1) steps.',
    range: '0.9 (nearly always).',
    tooBig:
      'Close to 1 the update follows old gradients and reacts late: the loss can overshoot and oscillate.',
    tooSmall: 'Near 0 there is no momentum: each step follows one noisy gradient.',
    formula: { tex: ADAMW, where: 'β₁ weighs the old mean m against the new gradient g.' },
  },
  beta2: {
    label: 'beta2',
    what: 'How fast the running mean v of the squared gradient forgets; the update is divided by its square root, so each weight gets its own step size.',
    range: '0.95 for GPT training (nanoGPT), 0.999 the usual default.',
    tooBig: 'v reacts slowly to a sudden large gradient, so a spike can make one huge update.',
    tooSmall: 'v follows the noise: the step sizes jump from step to step.',
    formula: { tex: ADAMW, where: 'β₂ weighs the old v against the new squared gradient g².' },
  },
  gradClip: {
    label: 'gradient clip',
    what: 'Caps the global norm of the gradient (all parameters together): a rare huge gradient is scaled down instead of wrecking the weights.',
    range: '1.0; 0 turns clipping off.',
    tooBig: 'It never acts, and a bad batch can cause a loss spike.',
    tooSmall: 'Every step is clipped: the effective learning rate shrinks and training slows.',
    formula: {
      tex: String.raw`g \leftarrow g \cdot \min\!\left(1,\ \frac{c}{\lVert g \rVert_2}\right)`,
      where: 'c is the clip; the direction of g is kept, only its length is capped.',
    },
  },
  seed: {
    label: 'seed',
    what: 'Fixes the random initial weights and the order of the data. The studio is deterministic: the same settings and seed give bit-identical losses.',
    range: 'any whole number from 0 to 4294967295.',
    tradeOff:
      'No seed is better than another: change it to see how much of a difference between two runs is luck.',
  },
  evalInterval: {
    label: 'evaluation interval',
    what: 'Every N steps, the loss on validation text the model never trains on: it tells learning from memorising.',
    range: '10 to 250; 0 turns it off.',
    tooBig: 'Few validation points: overfitting shows late.',
    tooSmall: 'Evaluations take time from training.',
    formula: {
      tex: String.raw`\text{perplexity} = e^{\mathcal{L}_{\text{val}}}`,
      where:
        'The validation loss L in nats per token; perplexity is the number of equally likely tokens it amounts to.',
    },
  },
  evalBatches: {
    label: 'evaluation batches',
    what: 'Validation batches averaged per evaluation (always the same ones, so points are comparable).',
    range: '1 to 20.',
    tooBig: 'Each evaluation takes longer.',
    tooSmall: 'The validation loss is noisier.',
    formula: {
      tex: String.raw`\text{noise of the mean} \propto 1 / \sqrt{n}`,
      where: 'Four times the batches n halve the noise.',
    },
  },
  data: {
    label: 'training data',
    what: 'The text the model learns from: the shipped OpenWebText slice (web articles) or a file of yours. A tenth of the documents are kept apart for validation.',
    range:
      'The shipped slice has about 1.2M GPT-2 tokens (5M bytes); your own text needs at least one batch of block_size + 1 tokens per sequence.',
    tradeOff:
      'A small text is memorised quickly: the training loss keeps falling while the validation loss rises. Up to 50 MiB of your own text is accepted.',
  },
  p1: {
    label: 'p1 (Learn epochs)',
    what: 'Learn: passes over every data block, recording how hard each one is (its loss) for the first Focus.',
    range: '1 (the paper); at least 1.',
    tooBig: 'Time spent on blocks already learnt, which LFR is meant to save.',
    tooSmall: '0 is refused: the first Focus has no scores to cut by.',
  },
  s1: {
    label: 's1 (first Focus drop, %)',
    what: 'The percent of blocks the first Focus drops: the easiest ones, those with the lowest Learn scores.',
    range: '50 (the paper); 0 to below 100.',
    tooBig: 'Training narrows to few blocks and forgets the dropped ones.',
    tooSmall: '0 keeps every block: no compute saved.',
  },
  p2: {
    label: 'p2 (first Focus epochs)',
    what: 'First Focus: passes over the blocks the first cut kept.',
    range: '1 (the paper).',
    tooBig: 'Overfits the kept blocks.',
    tooSmall: '0 skips the first Focus.',
  },
  p3: {
    label: 'p3 (Review epochs)',
    what: 'Review: passes over every block again, scoring each afresh, so blocks forgotten during Focus come back.',
    range: '1 (the paper); at least 1.',
    tooBig: 'Compute goes to blocks still learnt.',
    tooSmall: '0 is refused: the second Focus has no scores to cut by.',
  },
  s2: {
    label: 's2 (second Focus drop, %)',
    what: 'The percent of blocks the second Focus drops, by their Review scores.',
    range: '70 (the paper); 0 to below 100.',
    tooBig: 'The last phase trains on a narrow set and forgets the rest.',
    tooSmall: 'Less compute saved.',
  },
  p4: {
    label: 'p4 (second Focus epochs per repetition)',
    what: 'Passes over the kept blocks in each repetition of the second Focus.',
    range: '1 (the paper).',
    tooBig: 'Overfits the kept blocks.',
    tooSmall: '0 skips the second Focus.',
  },
  reps: {
    label: 'reps (second Focus repetitions)',
    what: 'How often the second Focus repeats: it trains reps x p4 epochs on the kept blocks.',
    range: '5 (the paper).',
    tooBig: 'Most of the run on a few blocks.',
    tooSmall: '0 ends the run after Review.',
    formula: {
      tex: String.raw`\text{passes} = p_1 + \left(1-\tfrac{s_1}{100}\right) p_2 + p_3 + \text{reps}\left(1-\tfrac{s_2}{100}\right) p_4`,
      where: "The paper's defaults give 1 + 0.5 + 1 + 5 x 0.3 = 4.0 passes over the data.",
    },
  },
  loraRank: {
    label: 'rank r',
    what: 'LoRA freezes a weight W and learns a low-rank update A Bᵀ of rank r: few trainable parameters instead of all of W.',
    range: '4 to 16; 8 is common.',
    tooBig: 'More parameters and optimizer state, and little gain past 16 for small tasks.',
    tooSmall: 'The update cannot express the change the task needs.',
    formula: {
      tex: String.raw`W' = W + \frac{\alpha}{r}\,A B^\top,\qquad A \in \mathbb{R}^{m \times r},\ B \in \mathbb{R}^{n \times r}`,
      where: 'r (m + n) trainable numbers per adapted m x n weight instead of m n.',
    },
  },
  loraAlpha: {
    label: 'alpha',
    what: 'Scales the update by alpha / r, so changing the rank does not change how large the update starts.',
    range: 'r to 2r (16 for rank 8).',
    tooBig: 'Large updates from the first step: like a too high learning rate.',
    tooSmall: 'The adapter barely changes the model.',
    formula: {
      tex: String.raw`\Delta W = \frac{\alpha}{r}\,A B^\top`,
      where: 'alpha / r multiplies the learnt product.',
    },
  },
  loraTargets: {
    label: 'targets',
    what: 'Which weights get an adapter: the attention projections (c_attn, attn.c_proj), the MLP (c_fc, mlp.c_proj), or all.',
    range: 'c_attn alone is the classic choice; all linear layers adapt best.',
    tradeOff:
      'More targets adapt more of the model, at the cost of more memory and time per step; fewer leave parts the task needs unchanged.',
  },
  loraOptimizer: {
    label: 'optimizer',
    what: 'Adam treats A and B as two unrelated matrices, so its update depends on how the factors are scaled. LoRA-RITE is invariant: A S and B S^-T give the same product, and the same update.',
    range: 'Adam as the baseline; LoRA-RITE to compare.',
    tradeOff:
      'LoRA-RITE costs a small r x r decomposition per adapter per step; with Adam, two equivalent factorizations of the same product train differently.',
    formula: {
      tex: String.raw`A B^\top = (A S)(B S^{-\top})^\top \quad \text{for any invertible } S`,
      where:
        'The product is unchanged by S; a transformation-invariant optimizer gives the same update for both.',
    },
  },
  escapedMass: {
    label: 'escaped mass',
    what: "LoRA-RITE keeps its second moment in the factors' current basis; when the basis turns, part of the old moment falls outside it. This option carries that escaped part along instead of dropping it.",
    range: 'on (the paper).',
    tradeOff:
      'Off forgets the escaped part: the second moment is underestimated after the basis turns, and the steps grow.',
  },
};
