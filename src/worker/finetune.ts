// LoRA fine-tuning of the current model (a training run's, or imported GPT-2), each optimizer
// side by side, and the invariance demo; the latest fine-tune is kept for sampling and export.
import * as Comlink from 'comlink';
import { Blocks } from '../data/blocks';
import { DataError } from '../data/errors';
import type { Tokenizer } from '../data/tokenizerTypes';
import type { LoraOptimizerKind } from '../optim/loraOptimizer';
import { FinetuneSession, finetuneProblems, runInvariance } from '../train/finetuneSession';
import { currentRun, importedModel } from './current';
import { dataset, userText } from './data';
import { errorMessage } from './errorMessage';
import { requireGpu } from './gpu';
import type {
  FinetuneBase,
  FinetuneProgress,
  FinetuneRequest,
  FinetuneText,
  GPTConfig,
  InvarianceRequest,
  InvarianceResult,
  InvarianceSeries,
  InvarianceStep,
  PeftFiles,
  SampleRequest,
  StartResult,
} from './protocol';

/** The latest fine-tuning comparison (kept once it ends, for sampling and export), its tokenizer. */
let finetune: { session: FinetuneSession; tokenizer: Tokenizer } | undefined;
/** The invariance demo and a fine-tune share the GPU: one at a time. */
let invarianceRunning = false;

/** The model a fine-tune would start from now: the current run's, else an imported one. */
function finetuneBaseInfo(): FinetuneBase | null {
  const run = currentRun();
  if (run) {
    const busy = run.session.state === 'running';
    return {
      source: 'run',
      config: run.session.model,
      tokenizer: run.data.tokenizer.name,
      step: run.steps,
      busy,
    };
  }
  const imported = importedModel();
  if (imported) {
    const config = imported.model.config;
    return { source: 'imported', config, tokenizer: imported.tokenizer.name, step: 0, busy: false };
  }
  return null;
}

/** The base's parameters as they are now, and its tokenizer; refused while its run trains. */
async function finetuneBase(): Promise<{
  config: GPTConfig;
  params: Float32Array;
  tokenizer: Tokenizer;
}> {
  const info = finetuneBaseInfo();
  if (!info)
    throw new Error(
      'No base model to fine-tune: train a model in the studio first (or import GPT-2 weights).',
    );
  if (info.busy)
    throw new Error(
      'The training run is still going: pause or stop it first (the fine-tune starts from its parameters as they are then).',
    );
  const run = currentRun();
  if (run)
    return {
      config: info.config,
      params: await run.session.readParams(),
      tokenizer: run.data.tokenizer,
    };
  const imported = importedModel()!;
  return { config: info.config, params: imported.params, tokenizer: imported.tokenizer };
}

/** The fine-tuning text, in blocks of the base's context: held out from pretraining, or the user's. */
async function finetuneBlocks(
  text: FinetuneText,
  tokenizer: Tokenizer,
  blockSize: number,
): Promise<Blocks> {
  if (text === 'heldout') return new Blocks((await dataset(tokenizer.name)).val, blockSize);
  const d = await userText();
  if (!d)
    throw new DataError(
      'No text of yours is loaded: drop a file in the training view, or fine-tune on the held-out slice.',
    );
  if (d.tokenizer.name !== tokenizer.name)
    throw new DataError(
      `${d.name} was tokenized with the ${d.tokenizer.name} tokenizer, but the base model uses ${tokenizer.name}: load the file again with a ${tokenizer.name} preset chosen, or fine-tune on the held-out slice.`,
    );
  return new Blocks(d.train, blockSize);
}

function requireFinetune(): { session: FinetuneSession; tokenizer: Tokenizer } {
  if (!finetune) throw new Error('No fine-tuning run: press Start fine-tuning first.');
  return finetune;
}

export const finetuneApi = {
  /** The model a fine-tune would start from now, or null when there is none yet. */
  finetuneBase(): FinetuneBase | null {
    return finetuneBaseInfo();
  },

  /**
   * Every problem with a fine-tuning request (validateLora's, loraOptimizerProblem's), checked
   * against the base's shapes, or `fallback` (the training form's model) before there is a base.
   */
  checkFinetune(request: FinetuneRequest, fallback: GPTConfig): string[] {
    return finetuneProblems(finetuneBaseInfo()?.config ?? fallback, request);
  },

  /**
   * Fine-tunes the current base with each requested optimizer on the chosen text, replacing the
   * previous fine-tune. A refused request (settings, base, text) changes nothing.
   */
  async startFinetune(
    request: FinetuneRequest,
    text: FinetuneText,
    onProgress: (p: FinetuneProgress) => void,
  ): Promise<StartResult> {
    try {
      const gpu = requireGpu();
      if (invarianceRunning)
        return { ok: false, message: 'The invariance demo is running: wait until it ends.' };
      const base = await finetuneBase();
      const blocks = await finetuneBlocks(text, base.tokenizer, base.config.blockSize);
      const next = await FinetuneSession.create(
        gpu,
        base.config,
        base.params,
        blocks,
        request,
        onProgress,
      );
      if (finetune) {
        await finetune.session.stop();
        finetune.session.destroy();
      }
      finetune = { session: next, tokenizer: base.tokenizer };
      next.start();
      return { ok: true };
    } catch (e) {
      return { ok: false, message: errorMessage(e) };
    }
  },

  /** Stops the fine-tune; its adapters stay for sampling and export. */
  async stopFinetune(): Promise<void> {
    await finetune?.session.stop();
  },

  /** Continues `prompt` from the base with this optimizer's adapters merged in. */
  async sampleFinetuned(
    kind: LoraOptimizerKind,
    prompt: string,
    options: SampleRequest,
  ): Promise<string> {
    const { session: run, tokenizer } = requireFinetune();
    const ids = Array.from(tokenizer.encode(prompt));
    const { seed, ...sampling } = options;
    const out = await run.sample(kind, ids.length > 0 ? ids : [tokenizer.eosId], sampling, seed);
    return tokenizer.decode(out);
  },

  /** This optimizer's adapters as a PEFT LoRA adapter. */
  async exportFinetuned(kind: LoraOptimizerKind): Promise<PeftFiles> {
    const files = await requireFinetune().session.exportAdapters(kind);
    return Comlink.transfer(files, [files.safetensors.buffer as ArrayBuffer]);
  },

  /**
   * The invariance demo on the current base: each optimizer's run from (A, B) and from
   * (A S, B S^-T), its Z difference handed to `onStep` after each step (and every series in the
   * reply, which comlink does not order with the callbacks: late steps may follow it).
   */
  async runInvariance(
    request: InvarianceRequest,
    text: FinetuneText,
    onStep: (step: InvarianceStep) => void,
  ): Promise<InvarianceResult> {
    try {
      const gpu = requireGpu();
      if (invarianceRunning || finetune?.session.state === 'running')
        return {
          ok: false,
          message: 'A fine-tune or the demo is running: wait until it ends, or stop it.',
        };
      const base = await finetuneBase();
      const blocks = await finetuneBlocks(text, base.tokenizer, base.config.blockSize);
      invarianceRunning = true;
      const series: InvarianceSeries[] = [];
      try {
        await runInvariance(
          gpu,
          base.config,
          base.params,
          blocks,
          request,
          (one) => series.push(one),
          onStep,
        );
      } finally {
        invarianceRunning = false;
      }
      return { ok: true, series };
    } catch (e) {
      return { ok: false, message: errorMessage(e) };
    }
  },
};
