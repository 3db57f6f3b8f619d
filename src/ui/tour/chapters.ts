// The guided tour: chapters of short steps, each pointing at a real control or view of the studio
// (a CSS selector) and, where it helps, setting the studio up through its own actions.
import { classify } from '../../lfr/forgetting';
import { startTraining } from '../../store/actions';
import { chooseSchedule, editLfrField, showBlock } from '../../store/lfrActions';
import { lfrMirror } from '../../store/lfrSlice';
import { leaveReplay, openShippedRecording } from '../../store/replayActions';
import { editSetting, selectPreset } from '../../store/settingsActions';
import { useStudio } from '../../store/store';
import type { ChapterId } from '../../store/tour';
import { selectRunLive, selectRunStarting } from '../../store/trainingSlice';

/** What a view needs before it shows anything: a run's losses, or an LFR run's block scores. */
export type Need = 'run' | 'lfrRun';

export interface TourStep {
  /** The real element the step is about; none for a step that only explains. */
  target?: string;
  title: string;
  text: string;
  /** TeX, typeset with KaTeX under the text. */
  formula?: string;
  needs?: Need;
  /** Sets the studio up for the step (once its needs are met); never while a run is going. */
  enter?: () => void;
}

export interface TourChapter {
  id: ChapterId;
  title: string;
  steps: TourStep[];
}

const byTestId = (id: string) => `[data-testid="${id}"]`;

/** The form may be changed: no run going and no recording shown. */
function formFree(): boolean {
  const s = useStudio.getState();
  return !s.replay && !selectRunLive(s) && !selectRunStarting(s);
}

const whenFree = (fn: () => void) => () => {
  if (formFree()) fn();
};

/** Whether the studio shows what a step needs (a live run's or a recording's). */
export function needMet(need: Need | undefined): boolean {
  const s = useStudio.getState();
  if (need === 'run') return s.history.steps.length > 0;
  if (need === 'lfrRun') return s.lfrRole !== undefined && (lfrMirror(s.lfrRole)?.steps ?? 0) > 0;
  return true;
}

/** A short run that fills the views a step needs: about a minute even on a software GPU. */
export function startShortRun(need: Need): void {
  if (useStudio.getState().replay) leaveReplay();
  selectPreset('tiny');
  editSetting('warmupSteps', '2');
  if (need === 'run') {
    chooseSchedule('random');
    editSetting('maxSteps', '30');
    editSetting('evalInterval', '10');
  } else {
    editSetting('batchSize', '4');
    editSetting('evalInterval', '0');
    chooseSchedule('lfr');
    for (const [key, value] of [
      ['blocks', '16'],
      ['s1', '50'],
      ['s2', '50'],
      ['reps', '1'],
    ] as const) {
      editLfrField(key, value);
    }
  }
  void startTraining();
}

/** The shipped recording that fills the views a step needs, at four times its pace. */
export function watchRecording(need: Need): void {
  void openShippedRecording(need === 'run' ? 'tiny.json' : 'tiny-lfr.json', 4);
}

// The block to show for forgetting: one whose score fell and rose again, else the most visited.
function openTellingBlock(): void {
  const role = useStudio.getState().lfrRole;
  const mirror = role && lfrMirror(role);
  if (!role || !mirror) return;
  const { scores } = mirror;
  let best = 0;
  let bestRank = -1;
  for (let id = 0; id < scores.blockCount; id++) {
    const { cls } = classify(scores.historyOf(id).map((h) => h.score));
    const rank = (cls === 'forgotten' || cls === 'multipleDescent' ? 1000 : 0) + scores.visits(id);
    if (rank > bestRank) {
      best = id;
      bestRank = rank;
    }
  }
  void showBlock(role, best);
}

// The fine-tune view is folded until opened; the tour opens it as a click on its title would.
function openFinetuneView(): void {
  const details = document.querySelector<HTMLDetailsElement>(
    `${byTestId('finetune-panel')} details`,
  );
  if (details && !details.open) details.open = true;
}

export const CHAPTERS: readonly TourChapter[] = [
  {
    id: 'step',
    title: 'What one training step does',
    steps: [
      {
        target: byTestId('settings-model'),
        title: 'The model',
        text: 'A GPT reads a window of block_size tokens and, at every position, gives a probability to each possible next token. n_layer, n_head and n_embd set its size: the tiny preset has about 120,000 numbers (parameters) to learn.',
        enter: whenFree(() => selectPreset('tiny')),
      },
      {
        target: byTestId('settings-training'),
        title: 'Tokens in',
        text: 'A step takes batch size × gradient accumulation windows of block_size + 1 tokens from the training text. In each window the model predicts token t + 1 from tokens 1 to t, for every t at once.',
      },
      {
        target: byTestId('loss-chart'),
        title: 'Loss out',
        text: 'The loss is the cross-entropy: the mean of −ln p(the true next token). Guessing uniformly over 256 bytes scores ln 256 ≈ 5.5; below that the model has learned something. The dots are the loss on validation text it never trains on.',
        formula: String.raw`\mathcal{L} = -\frac{1}{T}\sum_{t=1}^{T} \ln p_\theta(x_{t+1} \mid x_1,\dots,x_t)`,
        needs: 'run',
      },
      {
        target: byTestId('loss-chart'),
        title: 'Gradients',
        text: 'The backward pass finds, for every parameter, how much the loss changes when that parameter moves a little: the gradient. It costs about twice the forward pass. Gradient clip caps the gradient’s overall length when a batch gives a wild one.',
        formula: String.raw`g = \nabla_\theta \mathcal{L}, \qquad g \leftarrow g \cdot \min\!\left(1, \frac{\text{clip}}{\lVert g \rVert}\right)`,
        needs: 'run',
      },
      {
        target: byTestId('lr-chart'),
        title: 'The optimizer',
        text: 'AdamW moves each parameter against its gradient, divided by a running average of the gradient’s size, so every parameter moves at a similar pace. The learning rate η (this chart) sets the step: a warmup, then a cosine decay.',
        formula: String.raw`\theta \leftarrow \theta - \eta\left(\frac{\hat m}{\sqrt{\hat v}+\epsilon} + \lambda\,\theta\right)`,
        needs: 'run',
      },
    ],
  },
  {
    id: 'lfr',
    title: 'Learn, Focus, Review',
    steps: [
      {
        target: byTestId('lfr-settings'),
        title: 'Random batches waste compute',
        text: 'Plain training draws blocks (windows of text) at random, so every block costs the same, whether the model already predicts it well or not at all. Later in training most steps go to blocks it has already learned.',
        enter: whenFree(() => chooseSchedule('lfr')),
      },
      {
        target: byTestId('lfr-settings'),
        title: 'Learn, Focus, Review',
        text: 'Learn: p1 passes over every block, scoring each by its perplexity. Focus: drop the s1 % easiest blocks and train p2 passes on the rest. Review: a pass over all blocks again, to catch what was forgotten. Then Focus again on the hardest by the new scores.',
      },
      {
        target: byTestId('lfr-timeline'),
        title: 'The timeline',
        text: 'The phases along the tokens trained; beneath, random sampling with the same budget. A Focus pass is cheaper than a full pass because it trains on fewer blocks: the compute goes where the loss is.',
        needs: 'lfrRun',
      },
    ],
  },
  {
    id: 'heatmap',
    title: 'Reading the heatmap and the cut',
    steps: [
      {
        target: byTestId('block-heatmap'),
        title: 'One row per block',
        text: 'Each row is a block, each column a slice of training time. The colour is the block’s perplexity at its last visit in that slice (log scale, see the legend). A blank cell: the block was not trained on then. The marks at the left are the blocks the current Focus dropped.',
        needs: 'lfrRun',
      },
      {
        target: '[data-testid^="lfr-histogram-"]',
        title: 'The cut',
        text: 'A Focus ranks the blocks by their scores. The histogram shows how many blocks have each score; the line is the cut: the easiest s % (left of it) are dropped, the rest are kept. Ties go by block id, so the same seed gives the same cut.',
        needs: 'lfrRun',
      },
    ],
  },
  {
    id: 'forgetting',
    title: 'What forgetting looks like',
    steps: [
      {
        target: byTestId('lfr-forgetting'),
        title: 'Learned, forgotten, never learned',
        text: 'Each block gets a class from its scores so far: learned (fell, never rose again), unlearned (rose, never fell), unchanged (neither), forgotten (fell, then rose), multiple descent (forgotten twice or more). Training on other blocks moves the same weights, so a learned block can be forgotten.',
        needs: 'lfrRun',
      },
      {
        target: byTestId('lfr-block-details'),
        title: 'One block’s history',
        text: 'Here is one block: its text and its score at each slice it was trained on. A rise after a fall is forgetting. Review scores every block again so that forgotten ones come back into Focus.',
        needs: 'lfrRun',
        enter: openTellingBlock,
      },
    ],
  },
  {
    id: 'lora',
    title: 'LoRA, Adam and RITE',
    steps: [
      {
        target: byTestId('finetune-panel'),
        title: 'LoRA',
        text: 'Fine-tuning every weight of a large model costs memory and compute. LoRA freezes each weight matrix W and learns a small change to it: the product of two thin matrices A and B with r columns each (r is small, e.g. 8). This panel fine-tunes the studio’s model that way.',
        formula: String.raw`W' = W + A B^{\top}, \qquad A \in \mathbb{R}^{m \times r},\; B \in \mathbb{R}^{n \times r}`,
      },
      {
        target: byTestId('finetune-panel'),
        title: 'Adam depends on the scale of the factors',
        text: 'The same change A Bᵀ can be written with A·s and B/s for any s ≠ 0. The gradients are then G B/s and s Gᵀ A: Adam normalises each factor’s gradient on its own, so the update to W changes with s, although the model is the same.',
        formula: String.raw`(A, B) \to (sA, B/s): \quad \nabla_A \to \tfrac{1}{s}\nabla_A,\;\; \nabla_B \to s\,\nabla_B`,
      },
      {
        target: byTestId('invariance-demo'),
        title: 'RITE makes the step invariant',
        text: 'LoRA-RITE (arXiv 2410.20625) preconditions each factor’s gradient in an orthonormal basis of the other factor, from a QR decomposition, so every factorisation of the same A Bᵀ gets the same update to W. The invariance demo trains from (A, B) and from (A S, B S⁻ᵀ): Adam’s two copies drift apart, RITE’s stay equal to float32 rounding. It runs on the model of a training run (Train a short one first).',
        formula: String.raw`A = Q_A R_A,\;\; B = Q_B R_B: \quad \text{the update to } AB^{\top} \text{ is the same for } (AS, BS^{-\top})`,
        enter: openFinetuneView,
      },
    ],
  },
];

export const chapterOf = (id: ChapterId) => CHAPTERS.find((c) => c.id === id)!;
