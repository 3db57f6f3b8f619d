// The current model's verbs: start a run, control it, sample it, and swap it for GPT-2 weights
// (Hugging Face layout) or export it as such.
import * as Comlink from 'comlink';
import type { RunSettings } from '../checkpoint/format';
import { loadTokenizer } from '../data/tokenizer';
import { valSplitProblem } from '../data/userText';
import { exportHfGpt2, importHfGpt2 } from '../export/hfGpt2';
import type { TokenizerName } from '../model/config';
import { Generator } from '../model/generator';
import { GptModel } from '../model/gpt';
import { OutOfMemoryError } from '../train/session';
import { Rng } from '../util/rng';
import {
  currentRun,
  currentSession,
  importedModel,
  replaceWithImported,
  requireSession,
  startSession,
  stepsDoneNow,
} from './current';
import { chosenData, dataRecord } from './data';
import { errorMessage } from './errorMessage';
import { requireGpu } from './gpu';
import type {
  ImportedModel,
  ModelFiles,
  RunProgress,
  SampleRequest,
  SaveNews,
  StartResult,
  TrainingStatus,
  TrainSettings,
} from './protocol';

/** A new run's name in the list: its preset, seed and start time. */
function runName(s: RunSettings): string {
  const time = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return `${s.preset ?? 'custom'} seed ${s.train.seed}, ${time}`;
}

export const trainingApi = {
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
      const record: RunSettings = {
        preset: settings.preset ?? null,
        tokenizer: settings.tokenizer,
        model: settings.model,
        train: settings.train,
        data: dataRecord(data),
      };
      const session = await startSession(gpu, {
        settings: record,
        data,
        plan: settings.schedule,
        autosaveEvery: settings.autosaveEvery,
        savedAs: { name: runName(record) },
        onProgress,
        onSaved,
      });
      session.start();
      return { ok: true };
    } catch (e) {
      return { ok: false, message: errorMessage(e), outOfMemory: e instanceof OutOfMemoryError };
    }
  },

  /** Resolves once the steps already queued have come back. */
  async pause(): Promise<TrainingStatus> {
    await requireSession().pause();
    return trainingApi.status();
  },

  resume(): TrainingStatus {
    requireSession().start();
    return trainingApi.status();
  },

  /** One optimizer step while paused. */
  async step(): Promise<TrainingStatus> {
    await requireSession().stepOnce();
    return trainingApi.status();
  },

  async stop(): Promise<TrainingStatus> {
    await requireSession().stop();
    return trainingApi.status();
  },

  status(): TrainingStatus {
    const session = currentSession();
    if (!session) return { state: 'idle', step: 0, maxSteps: 0 };
    return { state: session.state, step: stepsDoneNow(), maxSteps: session.train.maxSteps };
  },

  /** Continues `prompt` from the run's current parameters; returns only the new text. */
  async sample(prompt: string, options: SampleRequest): Promise<string> {
    const imported = importedModel();
    const tokenizer = imported?.tokenizer ?? (requireSession() && currentRun()!.data.tokenizer);
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

  /** The current model as model.safetensors and config.json (Hugging Face GPT-2 layout). */
  async exportModel(): Promise<ModelFiles> {
    const session = currentSession();
    const imported = importedModel();
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
    await replaceWithImported(() => ({
      model: new GptModel(gpu, hf.config, hf.params, false),
      params: hf.params,
      tokenizer,
    }));
    return { config: hf.config, tokenizer: tokenizerName, parameterCount: hf.parameterCount };
  },
};
