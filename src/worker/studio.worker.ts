// The studio's GPU thread: it alone holds WebGPU objects; the UI talks to it through comlink.
import * as Comlink from 'comlink';
import { measureMatmul } from '../bench/measureMatmul';
import { type Dataset, loadDataset, OPENWEBTEXT_PATH } from '../data/dataset';
import { DataError } from '../data/errors';
import { loadTokenizer } from '../data/tokenizer';
import { userDataset, userTextDocuments, valSplitProblem } from '../data/userText';
import {
  datasetFromStored,
  loadUserText as loadStoredUserText,
  saveUserText,
} from '../data/userTextStore';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { GpuLimitError, GpuUnavailableError } from '../gpu/errors';
import { historiesCsv, historiesJson, scheduleToJson } from '../lfr/export';
import { Schedule } from '../lfr/schedule';
import { ScheduleOutbox } from '../lfr/stream';
import type { TokenizerName } from '../model/config';
import { allChecks } from '../selftest/registry';
import { runCheck } from '../selftest/runCheck';
import { type SessionOptions, TrainingSession } from '../train/session';
import type {
  BenchResult,
  BlockText,
  CheckInfo,
  CheckResult,
  DataChoice,
  DataProgress,
  DataSummary,
  DeviceLoss,
  GpuStatus,
  LfrExportKind,
  LfrRole,
  RunProgress,
  RunSchedule,
  SampleRequest,
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

function requireGpu(): GpuContext {
  if (!ctx)
    throw new Error('The GPU is not ready: acquire it first (or reload after a device loss).');
  return ctx;
}

const api = {
  /** Acquires the GPU once; `onLost` hears about a later device loss. */
  async acquire(onLost: (loss: DeviceLoss) => void): Promise<GpuStatus> {
    if (ctx) return { ok: true, adapter: ctx.adapter };
    try {
      ctx = await acquireGpu({
        onDeviceLost: (info) => {
          ctx = undefined;
          onLost({ reason: info.reason, message: info.message });
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
  ): Promise<StartResult> {
    try {
      const gpu = requireGpu();
      const data = await chosenData(settings.tokenizer);
      const valProblem =
        settings.train.evalInterval > 0
          ? valSplitProblem(data, settings.train.batchSize, settings.model.blockSize)
          : undefined;
      if (valProblem) return { ok: false, message: valProblem };
      if (session) {
        await session.stop();
        session.destroy();
        session = undefined;
      }
      stepsDone = 0;
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
        scheduled?.options,
      );
      sessionData = data;
      if (settings.schedule && session.schedule) {
        schedules.set(settings.schedule.role, { schedule: session.schedule, data });
      }
      session.start();
      return { ok: true };
    } catch (e) {
      return { ok: false, message: errorMessage(e) };
    }
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
    const run = requireSession();
    const tokenizer = sessionData!.tokenizer;
    const ids = Array.from(tokenizer.encode(prompt));
    // An empty prompt starts a fresh document, as after the end-of-text token in training.
    const { seed, ...sampling } = options;
    const out = await run.sample(ids.length > 0 ? ids : [tokenizer.eosId], sampling, seed);
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

  status(): TrainingStatus {
    if (!session) return { state: 'idle', step: 0, maxSteps: 0 };
    return { state: session.state, step: stepsDone, maxSteps: session.train.maxSteps };
  },

  /** Destroys the device, as a driver reset would: lets tests exercise the device-lost path. */
  loseDevice(): void {
    ctx?.device.destroy();
  },
};

export type StudioApi = typeof api;

Comlink.expose(api);
