// The studio's GPU thread: it alone holds WebGPU objects; the UI talks to it through comlink.
import * as Comlink from 'comlink';
import { measureMatmul } from '../bench/measureMatmul';
import { decodeCheckpoint, type RunSettings } from '../checkpoint/format';
import { CheckpointStore } from '../checkpoint/store';
import { Blocks } from '../data/blocks';
import { type Dataset, loadDataset, OPENWEBTEXT_PATH } from '../data/dataset';
import { DataError } from '../data/errors';
import { loadTokenizer, type Tokenizer } from '../data/tokenizer';
import { userDataset, userTextDocuments, valSplitProblem } from '../data/userText';
import {
  datasetFromStored,
  loadUserText as loadStoredUserText,
  saveUserText,
} from '../data/userTextStore';
import { exportHfGpt2, importHfGpt2 } from '../export/hfGpt2';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { GpuLimitError, GpuUnavailableError } from '../gpu/errors';
import { historiesCsv, historiesJson, scheduleToJson } from '../lfr/export';
import { Schedule } from '../lfr/schedule';
import { ScheduleOutbox } from '../lfr/stream';
import type { TokenizerName } from '../model/config';
import { Generator } from '../model/generator';
import { GptModel } from '../model/gpt';
import type { LoraOptimizerKind } from '../optim/loraOptimizer';
import { allChecks } from '../selftest/registry';
import { runCheck } from '../selftest/runCheck';
import { FinetuneSession, finetuneProblems, runInvariance } from '../train/finetuneSession';
import {
  type CheckpointLfr,
  OutOfMemoryError,
  type SessionOptions,
  TrainingSession,
} from '../train/session';
import { Rng } from '../util/rng';
import { lfrExperimentsApi } from './lfrExperimentsApi';
import type {
  BenchResult,
  BlockText,
  CheckInfo,
  CheckResult,
  DataChoice,
  DataProgress,
  DataSummary,
  DeviceLoss,
  FinetuneBase,
  FinetuneProgress,
  FinetuneRequest,
  FinetuneText,
  GPTConfig,
  GpuStatus,
  ImportedModel,
  InvarianceRequest,
  InvarianceResult,
  InvarianceSeries,
  LfrExportKind,
  LfrRole,
  ModelFiles,
  PeftFiles,
  Recovery,
  ResumeResult,
  RunProgress,
  RunSchedule,
  SampleRequest,
  SavedRun,
  SaveNews,
  StartResult,
  TokenizeProgress,
  TrainingStatus,
  TrainSettings,
  UserDataSummary,
} from './protocol';

let ctx: GpuContext | undefined;
// One load per tokenizer for the worker's lifetime; a failed load is forgotten so it can be retried.
const datasets = new Map<TokenizerName, Promise<Dataset>>();
// The user's own text, once loaded or restored from IndexedDB, and which data a run trains on.
let userData: { dataset: Dataset; summary: UserDataSummary } | undefined;
let restored: Promise<void> | undefined;
let choice: DataChoice = 'openwebtext';
let session: TrainingSession | undefined;
let sessionData: Dataset | undefined;
/** Steps done as of the last progress event (the session keeps its trainer private). */
let stepsDone = 0;
// The latest scheduled run of each role, kept after it ends so both runs of a comparison export.
const schedules = new Map<LfrRole, { schedule: Schedule; data: Dataset }>();
/** Who hears about a device loss (the page's callback from acquire). */
let onDeviceLost: ((loss: DeviceLoss) => void) | undefined;
// The saved run the current session checkpoints to (id once first saved), and its autosave period.
let savedRun: { id?: string; name: string; preset: string | null } | undefined;
let autosaveEvery = 0;
let runsStore: Promise<CheckpointStore> | undefined;
/** A Hugging Face GPT-2 imported as the current model (no session then): sampled and exported. */
let imported:
  | { model: GptModel; params: Float32Array; tokenizer: Tokenizer; generator?: Generator }
  | undefined;

/** The latest fine-tuning comparison (kept once it ends, for sampling and export), its tokenizer. */
let finetune: { session: FinetuneSession; tokenizer: Tokenizer } | undefined;
/** The invariance demo and a fine-tune share the GPU: one at a time. */
let invarianceRunning = false;

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function dataset(
  tokenizer: TokenizerName,
  onProgress?: (p: DataProgress) => void,
): Promise<Dataset> {
  let loading = datasets.get(tokenizer);
  if (!loading) {
    loading = loadTokenizer(tokenizer).then((t) =>
      loadDataset(`${import.meta.env.BASE_URL}${OPENWEBTEXT_PATH}`, t, { onProgress }),
    );
    datasets.set(tokenizer, loading);
    loading.catch(() => datasets.delete(tokenizer));
  }
  return loading;
}

function userSummary(d: Dataset, field: string, documents: number): UserDataSummary {
  return {
    fileName: d.name,
    field,
    tokenizer: d.tokenizer.name,
    documents,
    trainTokens: d.train.tokens.length,
    valTokens: d.val.tokens.length,
  };
}

/** Reads the text saved by an earlier visit (once); a saved text becomes the data choice. */
function restoreUserData(): Promise<void> {
  restored ??= (async () => {
    const stored = await loadStoredUserText();
    if (!stored || userData) return;
    const d = datasetFromStored(stored, await loadTokenizer(stored.tokenizer));
    userData = { dataset: d, summary: userSummary(d, stored.field, stored.documents) };
    choice = 'user';
  })().catch(() => {
    // No IndexedDB (e.g. a private window) or an unreadable entry: start without saved text.
  });
  return restored;
}

/** The chosen data for a run with this tokenizer. */
async function chosenData(
  tokenizer: TokenizerName,
  onProgress?: (p: DataProgress) => void,
): Promise<Dataset> {
  await restoreUserData();
  if (choice === 'openwebtext') return dataset(tokenizer, onProgress);
  if (!userData)
    throw new DataError('No text of yours is loaded: drop a file or choose OpenWebText.');
  const d = userData.dataset;
  if (d.tokenizer.name !== tokenizer) {
    throw new DataError(
      `${d.name} was tokenized with the ${d.tokenizer.name} tokenizer, but this preset uses ${tokenizer}: load the file again with this preset chosen, or pick a ${d.tokenizer.name} preset.`,
    );
  }
  return d;
}

/** The session options of a scheduled run, and the outbox its progress events carry. */
function scheduledRun(plan: RunSchedule, settings: TrainSettings) {
  let outbox: ScheduleOutbox | undefined;
  const options: SessionOptions = {
    maxBlocks: plan.maxBlocks,
    schedule: (blocks) => {
      const order = {
        batchSize: settings.train.batchSize,
        accumSteps: settings.train.gradAccumSteps,
        seed: settings.train.seed,
      };
      const lfr = Schedule.lfr(blocks, plan.lfr, order);
      const schedule = plan.role === 'lfr' ? lfr : Schedule.baseline(lfr);
      outbox = new ScheduleOutbox(schedule);
      return schedule;
    },
    onStep: (r) => outbox?.observed(r),
  };
  return { options, take: () => outbox?.take() };
}

function requireSchedule(role: LfrRole): { schedule: Schedule; data: Dataset } {
  const run = schedules.get(role);
  if (!run) throw new Error(`No ${role === 'lfr' ? 'LFR' : 'baseline'} run yet: train one first.`);
  return run;
}

function requireSession(): TrainingSession {
  if (!session) throw new Error('No training run: press Train first.');
  return session;
}

/** The saved runs (OPFS, else IndexedDB), opened on first use. */
function runs(): Promise<CheckpointStore> {
  runsStore ??= CheckpointStore.open();
  runsStore.catch(() => {
    runsStore = undefined;
  });
  return runsStore;
}

function dataRecord(d: Dataset, choice: DataChoice): RunSettings['data'] {
  return {
    choice,
    name: d.name,
    trainTokens: d.train.tokens.length,
    valTokens: d.val.tokens.length,
  };
}

/** The data a checkpoint's run trained on, as loaded now; throws a DataError if it changed. */
async function dataOf(settings: RunSettings): Promise<Dataset> {
  const want = settings.data;
  await restoreUserData();
  const d =
    want.choice === 'openwebtext'
      ? await dataset(settings.tokenizer)
      : userData?.summary.fileName === want.name
        ? userData.dataset
        : undefined;
  if (!d) {
    throw new DataError(
      `This run trained on your text ${want.name}, which is not loaded now: choose "Your text", load ${want.name} again, then resume.`,
    );
  }
  const have = dataRecord(d, want.choice);
  if (have.trainTokens !== want.trainTokens || d.tokenizer.name !== settings.tokenizer) {
    throw new DataError(
      `This run trained on ${want.name} with ${want.trainTokens} training tokens (${settings.tokenizer} tokenizer), but ${d.name} now has ${have.trainTokens} (${d.tokenizer.name}): load the same text with the same tokenizer, then resume.`,
    );
  }
  return d;
}

/** Ends the current run or imported model (their GPU buffers go). */
async function endCurrent(): Promise<void> {
  if (session) {
    await session.stop();
    session.destroy();
    session = undefined;
  }
  imported?.generator?.destroy();
  imported?.model.destroy();
  imported = undefined;
}

/** The session options that save the run: autosave into the runs list, news to the page. */
function durable(settings: RunSettings, onSaved: (news: SaveNews) => void): SessionOptions {
  return {
    settings,
    autosaveEvery,
    onAutosave: async (bytes, step) => onSaved({ ok: true, run: await saveCurrent(bytes, step) }),
    onAutosaveError: (e, step) => onSaved({ ok: false, step, message: errorMessage(e) }),
  };
}

/** Writes the current run's checkpoint: the first save adds it to the list, later ones replace it. */
async function saveCurrent(bytes: Uint8Array, step: number): Promise<SavedRun> {
  const run = savedRun;
  if (!run) throw new Error('No training run to save: press Train first.');
  const meta = await (await runs()).save(bytes, {
    id: run.id,
    name: run.name,
    step,
    preset: run.preset,
  });
  run.id = meta.id;
  return meta;
}

/**
 * Makes a checkpoint the current run: checked in full (file, data, schedule) before the run it
 * replaces is ended, so a bad checkpoint changes nothing. The run waits, paused, unless `start`.
 */
async function openCheckpoint(
  bytes: Uint8Array,
  run: { id: string; name: string },
  onProgress: (p: RunProgress) => void,
  onSaved: (news: SaveNews) => void,
  start: boolean,
): Promise<ResumeResult & { ok: true }> {
  const gpu = requireGpu();
  const parts = decodeCheckpoint(bytes);
  const data = await dataOf(parts.settings);
  const plan = (parts.lfr as CheckpointLfr | null)?.plan as RunSchedule | null | undefined;
  const settings: TrainSettings = {
    tokenizer: parts.settings.tokenizer,
    model: parts.settings.model,
    train: parts.settings.train,
    schedule: plan ?? undefined,
    preset: parts.settings.preset ?? undefined,
  };
  const scheduled = plan ? scheduledRun(plan, settings) : undefined;
  await endCurrent();
  stepsDone = parts.step;
  session = await TrainingSession.create(
    gpu,
    parts.settings.model,
    parts.settings.train,
    data,
    (p) => {
      stepsDone = p.step;
      onProgress(scheduled ? { ...p, lfr: scheduled.take() } : p);
    },
    {
      ...scheduled?.options,
      ...durable(parts.settings, onSaved),
      restore: parts,
      schedulePlan: plan,
    },
  );
  sessionData = data;
  if (plan && session.schedule) schedules.set(plan.role, { schedule: session.schedule, data });
  savedRun = { id: run.id, name: run.name, preset: parts.settings.preset };
  if (start) session.start();
  const meta = (await (await runs()).list()).find((r) => r.id === run.id);
  return {
    ok: true,
    run: meta ?? {
      ...run,
      created: 0,
      updated: 0,
      step: parts.step,
      preset: parts.settings.preset,
      size: bytes.length,
    },
    settings,
    step: parts.step,
    maxSteps: session.train.maxSteps,
  };
}

/** The model a fine-tune would start from now: the current run's, else an imported one. */
function finetuneBaseInfo(): FinetuneBase | null {
  if (session && sessionData) {
    const busy = session.state === 'running';
    return {
      source: 'run',
      config: session.model,
      tokenizer: sessionData.tokenizer.name,
      step: stepsDone,
      busy,
    };
  }
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
  if (session && sessionData)
    return {
      config: info.config,
      params: await session.readParams(),
      tokenizer: sessionData.tokenizer,
    };
  return { config: info.config, params: imported!.params, tokenizer: imported!.tokenizer };
}

/** The fine-tuning text, in blocks of the base's context: held out from pretraining, or the user's. */
async function finetuneBlocks(
  text: FinetuneText,
  tokenizer: Tokenizer,
  blockSize: number,
): Promise<Blocks> {
  if (text === 'heldout') return new Blocks((await dataset(tokenizer.name)).val, blockSize);
  await restoreUserData();
  if (!userData)
    throw new DataError(
      'No text of yours is loaded: drop a file in the training view, or fine-tune on the held-out slice.',
    );
  const d = userData.dataset;
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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function requireGpu(): GpuContext {
  if (!ctx)
    throw new Error('The GPU is not ready: acquire it first (or reload after a device loss).');
  return ctx;
}

/** A new run's name in the list: its preset, seed and start time. */
function runName(s: RunSettings): string {
  const time = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return `${s.preset ?? 'custom'} seed ${s.train.seed}, ${time}`;
}

/** The step a checkpoint was taken at (its header is checked when it is loaded). */
function bytesStep(bytes: Uint8Array): number {
  return decodeCheckpoint(bytes).step;
}

const api = {
  ...lfrExperimentsApi({
    gpu: requireGpu,
    data: chosenData,
    busy: () => session?.state === 'running',
  }),
  /** Acquires the GPU once; `onLost` hears about a later device loss. */
  async acquire(onLost: (loss: DeviceLoss) => void): Promise<GpuStatus> {
    if (ctx) return { ok: true, adapter: ctx.adapter };
    onDeviceLost = onLost;
    try {
      ctx = await acquireGpu({
        onDeviceLost: (info) => {
          ctx = undefined;
          onDeviceLost?.({ reason: info.reason, message: info.message });
        },
      });
      return { ok: true, adapter: ctx.adapter };
    } catch (e) {
      const kind =
        e instanceof GpuUnavailableError
          ? 'unavailable'
          : e instanceof GpuLimitError
            ? 'limit'
            : 'other';
      return { ok: false, kind, message: errorMessage(e) };
    }
  },

  /** The registered checks, in the order `checkKernels` runs them. */
  listChecks(): CheckInfo[] {
    return allChecks.map(({ kernel, variant, shape, tolerance }) => ({
      kernel,
      variant,
      shape,
      tolerance,
    }));
  },

  /** Runs every check in order, handing each result to `onResult` as soon as it is known. */
  async checkKernels(onResult: (index: number, result: CheckResult) => void): Promise<void> {
    const gpu = requireGpu();
    gpu.takeUncapturedErrors();
    for (const [index, check] of allChecks.entries()) {
      const result = await runCheck(gpu, check);
      // An error no scope caught (e.g. a dropped dispatch) still belongs to this check.
      const stray = gpu.takeUncapturedErrors().map((e) => e.message);
      if (stray.length > 0 && !result.error) {
        result.error = `Uncaptured WebGPU error: ${stray.join('; ')}`;
        result.pass = false;
      }
      onResult(index, result);
    }
  },

  /** Times the matmul kernel at each size in turn, handing each point to `onResult`. */
  async benchMatmul(sizes: number[], onResult: (result: BenchResult) => void): Promise<void> {
    const gpu = requireGpu();
    for (const n of sizes) {
      try {
        onResult(await measureMatmul(gpu, n));
      } catch (e) {
        onResult({ n, ms: Number.NaN, gflops: Number.NaN, error: errorMessage(e) });
      }
    }
  },

  /**
   * Fetches the shipped OpenWebText slice for a tokenizer (once; later calls reuse it),
   * reporting bytes as they arrive.
   */
  async loadData(
    tokenizer: TokenizerName,
    onProgress: (p: DataProgress) => void,
  ): Promise<DataSummary> {
    const d = await chosenData(tokenizer, onProgress);
    return {
      name: d.name,
      tokenizer,
      trainTokens: d.train.tokens.length,
      valTokens: d.val.tokens.length,
      trainDocuments: d.train.docStarts.length,
    };
  },

  /**
   * Validates a user's file, tokenizes it (reporting per batch of documents), saves it to
   * IndexedDB and makes it the data choice. Any problem throws before the text loaded before is
   * touched.
   */
  async loadUserText(
    bytes: Uint8Array,
    fileName: string,
    field: string,
    tokenizer: TokenizerName,
    onProgress: (p: TokenizeProgress) => void,
  ): Promise<UserDataSummary> {
    await restoreUserData();
    const docs = userTextDocuments(bytes, fileName, field);
    const d = userDataset(docs, fileName, await loadTokenizer(tokenizer), onProgress);
    try {
      await saveUserText({
        fileName,
        field,
        tokenizer,
        documents: docs.length,
        train: d.train.tokens,
        val: d.val.tokens,
      });
    } catch (e) {
      throw new DataError(
        `${fileName} could not be saved in the browser's storage (${errorMessage(e)}): free some disk space or leave private browsing, then try again.`,
      );
    }
    userData = { dataset: d, summary: userSummary(d, field, docs.length) };
    choice = 'user';
    return userData.summary;
  },

  /** The user's saved text (restored from IndexedDB on first call) and the current choice. */
  async listUserData(): Promise<{ choice: DataChoice; texts: UserDataSummary[] }> {
    await restoreUserData();
    return { choice, texts: userData ? [userData.summary] : [] };
  },

  /** Trains the next run on the shipped OpenWebText or on the user's text of that file name. */
  async useData(name: DataChoice | string): Promise<DataChoice> {
    await restoreUserData();
    if (name === 'openwebtext') choice = 'openwebtext';
    else if (userData && (name === 'user' || name === userData.summary.fileName)) choice = 'user';
    else throw new DataError(`No loaded text is called ${name}.`);
    return choice;
  },

  /**
   * Ends any previous run, then builds and starts a new one. Invalid settings come back as a
   * message (one problem per line) before anything is allocated on the GPU.
   */
  async startTraining(
    settings: TrainSettings,
    onProgress: (p: RunProgress) => void,
    onSaved: (news: SaveNews) => void = () => {},
  ): Promise<StartResult> {
    try {
      const gpu = requireGpu();
      const data = await chosenData(settings.tokenizer);
      const valProblem =
        settings.train.evalInterval > 0
          ? valSplitProblem(data, settings.train.batchSize, settings.model.blockSize)
          : undefined;
      if (valProblem) return { ok: false, message: valProblem };
      await endCurrent();
      stepsDone = 0;
      autosaveEvery = settings.autosaveEvery ?? autosaveEvery;
      const record: RunSettings = {
        preset: settings.preset ?? null,
        tokenizer: settings.tokenizer,
        model: settings.model,
        train: settings.train,
        data: dataRecord(data, choice),
      };
      const scheduled = settings.schedule && scheduledRun(settings.schedule, settings);
      session = await TrainingSession.create(
        gpu,
        settings.model,
        settings.train,
        data,
        (p) => {
          stepsDone = p.step;
          onProgress(scheduled ? { ...p, lfr: scheduled.take() } : p);
        },
        { ...scheduled?.options, ...durable(record, onSaved), schedulePlan: settings.schedule },
      );
      sessionData = data;
      savedRun = { name: runName(record), preset: record.preset };
      if (settings.schedule && session.schedule) {
        schedules.set(settings.schedule.role, { schedule: session.schedule, data });
      }
      session.start();
      return { ok: true };
    } catch (e) {
      return { ok: false, message: errorMessage(e), outOfMemory: e instanceof OutOfMemoryError };
    }
  },

  /** The saved runs, the most recently updated first. */
  async listRuns(): Promise<SavedRun[]> {
    return (await runs()).list();
  },

  async renameRun(id: string, name: string): Promise<SavedRun> {
    const meta = await (await runs()).rename(id, name);
    if (savedRun?.id === id) savedRun.name = meta.name;
    return meta;
  },

  /** Deletes a saved run; the current run, if it was that one, saves as a new run next time. */
  async deleteRun(id: string): Promise<void> {
    await (await runs()).remove(id);
    if (savedRun?.id === id) savedRun.id = undefined;
  },

  /** Checkpoints the current run now (between two steps, if it is training) into the runs list. */
  async saveNow(): Promise<SavedRun> {
    const run = requireSession();
    const bytes = await run.checkpoint();
    return saveCurrent(bytes, bytesStep(bytes));
  },

  /** Autosave every N steps from now on (0: off), for this run and the next. */
  setAutosave(every: number): void {
    autosaveEvery = every;
    if (session) session.autosaveEvery = every;
  },

  /** Makes a saved run the current one and continues training it. */
  async resumeRun(
    id: string,
    onProgress: (p: RunProgress) => void,
    onSaved: (news: SaveNews) => void,
  ): Promise<ResumeResult> {
    try {
      const store = await runs();
      const meta = (await store.list()).find((r) => r.id === id);
      const bytes = await store.load(id);
      return await openCheckpoint(bytes, { id, name: meta?.name ?? id }, onProgress, onSaved, true);
    } catch (e) {
      return { ok: false, message: errorMessage(e) };
    }
  },

  /**
   * After a device loss: ends the lost run, acquires the GPU again and reloads the run's last
   * checkpoint, paused, so the page can say how many steps were lost and continue when asked.
   */
  async recoverRun(
    onProgress: (p: RunProgress) => void,
    onSaved: (news: SaveNews) => void,
  ): Promise<Recovery> {
    const lostAtStep = stepsDone;
    try {
      if (session) {
        // Its loop fails on the lost device; do not wait forever on a driver that never answers.
        await Promise.race([session.settled(), sleep(10_000)]);
        session.destroy();
        session = undefined;
      }
      ctx = undefined;
      const gpu = await api.acquire(onDeviceLost ?? (() => {}));
      if (!gpu.ok) return { ok: false, message: gpu.message };
      if (!savedRun?.id) return { ok: true, gpu, lostAtStep, restoredStep: null, maxSteps: 0 };
      const bytes = await (await runs()).load(savedRun.id);
      const run = { id: savedRun.id, name: savedRun.name };
      const opened = await openCheckpoint(bytes, run, onProgress, onSaved, false);
      return { ok: true, gpu, lostAtStep, restoredStep: opened.step, maxSteps: opened.maxSteps };
    } catch (e) {
      return { ok: false, message: errorMessage(e) };
    }
  },

  /** The current run as checkpoint bytes, for a download. */
  async exportCheckpoint(): Promise<Uint8Array> {
    const bytes = await requireSession().checkpoint();
    return Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]);
  },

  /** Checks a checkpoint file in full and adds it to the runs list; the current run is untouched. */
  async importCheckpoint(bytes: Uint8Array, fileName: string): Promise<SavedRun> {
    const parts = decodeCheckpoint(bytes);
    const name = fileName.replace(/\.[^.]*$/, '') || 'imported run';
    return (await runs()).save(bytes, { name, step: parts.step, preset: parts.settings.preset });
  },

  /** The current model as model.safetensors and config.json (Hugging Face GPT-2 layout). */
  async exportModel(): Promise<ModelFiles> {
    const files = session
      ? exportHfGpt2(await session.readParams(), session.model)
      : imported
        ? exportHfGpt2(imported.params, imported.model.config)
        : undefined;
    if (!files)
      throw new Error('No model to export: train one, resume a run or import weights first.');
    return Comlink.transfer(files, [files.safetensors.buffer as ArrayBuffer]);
  },

  /**
   * Makes Hugging Face GPT-2 weights (model.safetensors, optionally with its config.json) the
   * current model, replacing the current run. A refused file changes nothing.
   */
  async importHfModel(bytes: Uint8Array, configJson?: string): Promise<ImportedModel> {
    const gpu = requireGpu();
    const hf = importHfGpt2(bytes, configJson);
    const tokenizerName: TokenizerName = hf.config.vocabSize === 256 ? 'byte' : 'gpt2';
    const tokenizer = await loadTokenizer(tokenizerName);
    await endCurrent();
    savedRun = undefined;
    stepsDone = 0;
    imported = {
      model: new GptModel(gpu, hf.config, hf.params, false),
      params: hf.params,
      tokenizer,
    };
    return { config: hf.config, tokenizer: tokenizerName, parameterCount: hf.parameterCount };
  },

  /** Resolves once the steps already queued have come back. */
  async pause(): Promise<TrainingStatus> {
    await requireSession().pause();
    return api.status();
  },

  resume(): TrainingStatus {
    requireSession().start();
    return api.status();
  },

  /** One optimizer step while paused. */
  async step(): Promise<TrainingStatus> {
    await requireSession().stepOnce();
    return api.status();
  },

  async stop(): Promise<TrainingStatus> {
    await requireSession().stop();
    return api.status();
  },

  /** Continues `prompt` from the run's current parameters; returns only the new text. */
  async sample(prompt: string, options: SampleRequest): Promise<string> {
    const tokenizer = imported?.tokenizer ?? (requireSession() && sessionData!.tokenizer);
    const ids = Array.from(tokenizer.encode(prompt));
    // An empty prompt starts a fresh document, as after the end-of-text token in training.
    const start = ids.length > 0 ? ids : [tokenizer.eosId];
    const { seed, ...sampling } = options;
    let out: number[];
    if (imported) {
      imported.generator ??= await Generator.create(requireGpu(), imported.model);
      out = await imported.generator.generate(start, sampling, new Rng(seed));
    } else {
      out = await requireSession().sample(start, sampling, seed);
    }
    return tokenizer.decode(out);
  },

  /** A block of a scheduled run: where it comes from and its text. */
  blockText(role: LfrRole, id: number): BlockText {
    const { schedule, data } = requireSchedule(role);
    if (!(Number.isInteger(id) && id >= 0 && id < schedule.blocks.count)) {
      throw new Error(`Block ${id} is not in this run's ${schedule.blocks.count} blocks.`);
    }
    const info = schedule.blocks.info(id);
    return {
      id,
      doc: info.doc,
      offset: info.offset,
      lastDoc: info.lastDoc,
      text: data.tokenizer.decode(schedule.blocks.tokens(id)),
    };
  },

  /** A scheduled run's schedule (JSON, replayable) or its per-block histories (CSV or JSON). */
  exportLfr(role: LfrRole, kind: LfrExportKind): string {
    const { schedule } = requireSchedule(role);
    if (kind === 'schedule') return scheduleToJson(schedule);
    if (kind === 'historiesCsv') return historiesCsv(schedule.scores);
    return JSON.stringify(historiesJson(schedule.scores));
  },

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
   * (A S, B S^-T), its Z difference per step handed to `onSeries` as each optimizer ends (and
   * all of them in the reply, which comlink does not order with the callbacks).
   */
  async runInvariance(
    request: InvarianceRequest,
    text: FinetuneText,
    onSeries: (series: InvarianceSeries) => void,
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
        await runInvariance(gpu, base.config, base.params, blocks, request, (one) => {
          series.push(one);
          onSeries(one);
        });
      } finally {
        invarianceRunning = false;
      }
      return { ok: true, series };
    } catch (e) {
      return { ok: false, message: errorMessage(e) };
    }
  },

  status(): TrainingStatus {
    if (!session) return { state: 'idle', step: 0, maxSteps: 0 };
    return { state: session.state, step: stepsDone, maxSteps: session.train.maxSteps };
  },

  /** Destroys the device, as a driver reset would: lets tests exercise the device-lost path. */
  loseDevice(): void {
    ctx?.device.destroy();
  },

  /** Throws outside any call, as a bug would: lets tests exercise the worker-crash path. */
  crash(): void {
    setTimeout(() => {
      throw new Error('The studio worker crashed (forced by a test).');
    });
  },
};

export type StudioApi = typeof api;

Comlink.expose(api);
