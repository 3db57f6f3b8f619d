// LoRA fine-tuning of the current model (a training run's, or imported GPT-2), each optimizer
// side by side, and the invariance demo; the latest fine-tune is kept for sampling and export,
// saved into the runs list (autosave, Save now, export) and resumed from there.
import * as Comlink from 'comlink';
import {
  baseDifferences,
  decodeFinetuneCheckpoint,
  type FinetuneBaseRecord,
  type FinetuneCheckpointParts,
  type FinetuneDataRecord,
} from '../checkpoint/finetuneFormat';
import { decodeCheckpoint } from '../checkpoint/format';
import { Blocks } from '../data/blocks';
import { DataError } from '../data/errors';
import type { Tokenizer } from '../data/tokenizerTypes';
import type { LoraOptimizerKind } from '../optim/loraOptimizer';
import { FinetuneSession, finetuneProblems, runInvariance } from '../train/finetuneSession';
import { currentRun, importedModel, runs, saveCurrent } from './current';
import { dataset, userText } from './data';
import { errorMessage } from './errorMessage';
import { requireGpu } from './gpu';
import type {
  FinetuneBase,
  FinetuneProgress,
  FinetuneRequest,
  FinetuneResume,
  FinetuneText,
  GPTConfig,
  InvarianceRequest,
  InvarianceResult,
  InvarianceSeries,
  InvarianceStep,
  PeftFiles,
  SampleRequest,
  SavedRun,
  SaveNews,
  StartResult,
} from './protocol';

/** A base model as a fine-tune holds it: its parameters (kept for a device loss) and identity. */
interface HeldBase {
  params: Float32Array;
  tokenizer: Tokenizer;
  record: FinetuneBaseRecord;
}

/**
 * The latest fine-tuning comparison (kept once it ends, for sampling and export): its base, its
 * text, and the saved run it checkpoints to (id once first saved).
 */
let finetune: (FinetuneStart & { session: FinetuneSession; tokenizer: Tokenizer }) | undefined;
let autosaveEvery = 0;
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

async function sha256Hex(params: Float32Array): Promise<string> {
  const bytes = new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The base as it is now, with its identity. A run's base is saved first (a new save when it has
 * none), so a fine-tune's base can always be found again in the runs list.
 */
async function heldBase(): Promise<HeldBase> {
  const base = await finetuneBase();
  const run = currentRun();
  let saved: { id: string | null; name: string; step: number } = {
    id: null,
    name: 'imported GPT-2',
    step: 0,
  };
  if (run) {
    const bytes = await run.session.checkpoint();
    const step = decodeCheckpoint(bytes).step;
    const meta = await saveCurrent(bytes, step);
    saved = { id: meta.id, name: meta.name, step };
  }
  return {
    params: base.params,
    tokenizer: base.tokenizer,
    record: {
      source: run ? 'run' : 'imported',
      runId: saved.id,
      name: saved.name,
      step: saved.step,
      model: base.config,
      tokenizer: base.tokenizer.name,
      paramsSha256: await sha256Hex(base.params),
    },
  };
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

function requireFinetune(): NonNullable<typeof finetune> {
  if (!finetune) throw new Error('No fine-tuning run: press Start fine-tuning first.');
  return finetune;
}

/** Writes the fine-tune's checkpoint: the first save adds it to the runs list, later ones replace it. */
async function saveFinetune(bytes: Uint8Array, steps: number): Promise<SavedRun> {
  const run = requireFinetune();
  const meta = await (await runs()).save(bytes, {
    id: run.savedAs.id,
    name: run.savedAs.name,
    step: steps,
    preset: null,
    kind: 'finetune',
  });
  run.savedAs.id = meta.id;
  return meta;
}

/** How a fine-tune session is made the current one: new, or from a checkpoint. */
interface FinetuneStart {
  request: FinetuneRequest;
  base: HeldBase;
  blocks: Blocks;
  data: FinetuneDataRecord;
  savedAs: { id?: string; name: string };
  restore?: FinetuneCheckpointParts;
  onProgress: (p: FinetuneProgress) => void;
  onSaved: (news: SaveNews) => void;
}

/** Builds the session (a refusal changes nothing), then replaces the previous fine-tune with it. */
async function openFinetune(start: FinetuneStart): Promise<FinetuneSession> {
  const { request, base, blocks, data, restore, onProgress, onSaved } = start;
  const session = await FinetuneSession.create(
    requireGpu(),
    base.record.model,
    base.params,
    blocks,
    request,
    onProgress,
    {
      record: { base: base.record, data },
      restore,
      autosaveEvery,
      onAutosave: async (bytes, steps) =>
        onSaved({ ok: true, run: await saveFinetune(bytes, steps) }),
      onAutosaveError: (e, steps) => onSaved({ ok: false, step: steps, message: errorMessage(e) }),
    },
  );
  if (finetune) {
    await finetune.session.stop();
    finetune.session.destroy();
  }
  finetune = { ...start, session, tokenizer: base.tokenizer };
  // Only now: a page told "paused" may press Continue at once, and must find this session.
  if (restore) session.report();
  return session;
}

/** Finds the base a checkpoint was trained on: the current model, else its saved run. */
async function baseFor(saved: FinetuneBaseRecord): Promise<HeldBase> {
  const info = finetuneBaseInfo();
  if (info && !info.busy) {
    const now = await finetuneBase();
    const record = {
      ...saved,
      model: now.config,
      tokenizer: now.tokenizer.name,
      paramsSha256: await sha256Hex(now.params),
    };
    if (baseDifferences(saved, record).length === 0)
      return { params: now.params, tokenizer: now.tokenizer, record: saved };
  }
  const store = await runs();
  const run = saved.runId ? (await store.list()).find((r) => r.id === saved.runId) : undefined;
  if (run) {
    const parts = decodeCheckpoint(await store.load(run.id));
    const record = {
      ...saved,
      model: parts.settings.model,
      tokenizer: parts.settings.tokenizer,
      paramsSha256: await sha256Hex(parts.params),
    };
    const diffs = baseDifferences(saved, record);
    if (diffs.length === 0) {
      const { tokenizer } = await dataset(saved.tokenizer);
      return { params: parts.params, tokenizer, record: saved };
    }
    throw new Error(
      `This fine-tune was trained on run "${saved.name}" at step ${saved.step}, but that run's saved checkpoint differs: ${diffs.join(', ')}. It was saved again after the fine-tune started; its base is gone, so start a new fine-tune.`,
    );
  }
  const what =
    saved.source === 'imported'
      ? `imported GPT-2 weights (parameters SHA-256 ${saved.paramsSha256.slice(0, 12)}…): import the same model.safetensors first`
      : `run "${saved.name}" at step ${saved.step}, which is no longer in the runs list: import that run's checkpoint, resume it and pause it at step ${saved.step}`;
  const now = info ? ` The current model differs from it.` : ' There is no current model.';
  throw new Error(`This fine-tune was trained on ${what}, then resume the fine-tune again.${now}`);
}

/** The fine-tune's text again: the held-out slice of its tokenizer, or the same file of the user's. */
async function blocksFor(parts: FinetuneCheckpointParts, tokenizer: Tokenizer): Promise<Blocks> {
  const { data } = parts;
  if (data.text === 'user') {
    const d = await userText();
    if (d?.name !== data.name)
      throw new DataError(
        `This fine-tune trained on your file ${data.name}, ${d ? `but ${d.name} is loaded` : 'which is not loaded'}: load ${data.name} in the training view, then resume it.`,
      );
  }
  return finetuneBlocks(data.text, tokenizer, parts.base.model.blockSize);
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
    onSaved: (news: SaveNews) => void = () => undefined,
  ): Promise<StartResult> {
    try {
      requireGpu();
      if (invarianceRunning)
        return { ok: false, message: 'The invariance demo is running: wait until it ends.' };
      const errors = finetuneProblems((await finetuneBase()).config, request);
      if (errors.length > 0) return { ok: false, message: errors.join('\n') };
      const base = await heldBase();
      const blocks = await finetuneBlocks(text, base.tokenizer, base.record.model.blockSize);
      const data: FinetuneDataRecord =
        text === 'user'
          ? { text, name: (await userText())?.name ?? 'your text' }
          : { text, name: 'openwebtext' };
      const optimizers = request.optimizers
        .map((k) => (k === 'adam' ? 'Adam' : 'RITE'))
        .join(' + ');
      const savedAs = { name: `fine-tune of ${base.record.name} (${optimizers})` };
      const session = await openFinetune({
        request,
        base,
        blocks,
        data,
        savedAs,
        onProgress,
        onSaved,
      });
      session.start();
      return { ok: true };
    } catch (e) {
      return { ok: false, message: errorMessage(e) };
    }
  },

  /** Stops the fine-tune; its adapters stay for sampling and export. */
  async stopFinetune(): Promise<void> {
    await finetune?.session.stop();
  },

  /** Pauses the fine-tune between two steps (Continue or Step go on from there). */
  async pauseFinetune(): Promise<void> {
    await requireFinetune().session.pause();
  },

  /** Continues a paused fine-tune. */
  continueFinetune(): void {
    requireFinetune().session.start();
  },

  /** One step of the next optimizer while paused. */
  async stepFinetune(): Promise<void> {
    await requireFinetune().session.stepOnce();
  },

  /** Checkpoints the fine-tune now (between two steps, if it is training) into the runs list. */
  async saveFinetuneNow(): Promise<SavedRun> {
    const { session } = requireFinetune();
    return saveFinetune(await session.checkpoint(), session.stepsDone);
  },

  /** Autosave the fine-tune every N steps of each optimizer from now on (0: off). */
  setFinetuneAutosave(every: number): void {
    autosaveEvery = every;
    if (finetune) finetune.session.autosaveEvery = every;
  },

  /** The fine-tune as checkpoint bytes, for a download. */
  async exportFinetuneCheckpoint(): Promise<Uint8Array> {
    const bytes = await requireFinetune().session.checkpoint();
    return Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]);
  },

  /**
   * Makes a saved fine-tune the current one and continues it (`rates`: lower peak rates, e.g.
   * after a non-finite pause). Its base must be the current model or its saved run; a refusal
   * says what differs and changes nothing.
   */
  async resumeFinetuneRun(
    id: string,
    onProgress: (p: FinetuneProgress) => void,
    onSaved: (news: SaveNews) => void,
    rates?: { lr: number; riteLr?: number },
  ): Promise<FinetuneResume> {
    try {
      requireGpu();
      if (invarianceRunning)
        return { ok: false, message: 'The invariance demo is running: wait until it ends.' };
      const store = await runs();
      const meta = (await store.list()).find((r) => r.id === id);
      if (!meta) throw new Error(`There is no saved run "${id}": refresh the list of runs.`);
      const parts = decodeFinetuneCheckpoint(await store.load(id));
      const base = await baseFor(parts.base);
      const blocks = await blocksFor(parts, base.tokenizer);
      const request: FinetuneRequest = { ...parts.settings, ...rates };
      const session = await openFinetune({
        request,
        base,
        blocks,
        data: parts.data,
        savedAs: { id, name: meta.name },
        restore: parts,
        onProgress,
        onSaved,
      });
      session.start();
      return { ok: true, run: meta, request, text: parts.data.text };
    } catch (e) {
      return { ok: false, message: errorMessage(e) };
    }
  },

  /**
   * After a device loss: the fine-tune again from its last checkpoint on the new device (its base
   * was kept), paused; restoredSteps is null when it had none.
   */
  async recoverFinetune(
    onProgress: (p: FinetuneProgress) => void,
    onSaved: (news: SaveNews) => void,
  ): Promise<{ lostAtSteps: number; restoredSteps: number | null }> {
    const lost = requireFinetune();
    const lostAtSteps = lost.session.stepsDone;
    // Its loop fails on the lost device; do not wait forever on a driver that never answers.
    await Promise.race([lost.session.settled(), new Promise((r) => setTimeout(r, 10_000))]);
    lost.session.destroy();
    finetune = undefined;
    if (!lost.savedAs.id) return { lostAtSteps, restoredSteps: null };
    const parts = decodeFinetuneCheckpoint(await (await runs()).load(lost.savedAs.id));
    const { session: _, tokenizer: __, ...start } = lost;
    const session = await openFinetune({ ...start, restore: parts, onProgress, onSaved });
    return { lostAtSteps, restoredSteps: session.stepsDone };
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
