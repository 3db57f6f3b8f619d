// The current model: a training run (its session, data and steps done) or an imported GPT-2, and
// the saved run the training run checkpoints to. Training, runs and fine-tuning all start here.
import type { CheckpointParts, RunSettings } from '../checkpoint/format';
import { CheckpointStore } from '../checkpoint/store';
import type { Dataset } from '../data/dataset';
import type { Tokenizer } from '../data/tokenizerTypes';
import type { GpuContext } from '../gpu/device';
import type { Generator } from '../model/generator';
import type { GptModel } from '../model/gpt';
import { TrainingSession } from '../train/session';
import { errorMessage } from './errorMessage';
import { rememberSchedule, scheduledRun } from './lfr';
import type { RunProgress, RunSchedule, SavedRun, SaveNews } from './protocol';

/** A Hugging Face GPT-2 imported as the current model (no session then): sampled and exported. */
export interface ImportedGpt {
  model: GptModel;
  params: Float32Array;
  tokenizer: Tokenizer;
  generator?: Generator;
}

let session: TrainingSession | undefined;
let sessionData: Dataset | undefined;
/** Steps done as of the last progress event (the session keeps its trainer private). */
let stepsDone = 0;
let imported: ImportedGpt | undefined;
// The saved run the current session checkpoints to (id once first saved), and its autosave period.
let savedRun: { id?: string; name: string; preset: string | null } | undefined;
let autosaveEvery = 0;
let runsStore: Promise<CheckpointStore> | undefined;

/** The training run, if there is one, with its data and the steps done as of its last event. */
export function currentRun(): { session: TrainingSession; data: Dataset; steps: number } | null {
  return session && sessionData ? { session, data: sessionData, steps: stepsDone } : null;
}

export function currentSession(): TrainingSession | undefined {
  return session;
}

export function stepsDoneNow(): number {
  return stepsDone;
}

export function importedModel(): ImportedGpt | undefined {
  return imported;
}

export function requireSession(): TrainingSession {
  if (!session) throw new Error('No training run: press Train first.');
  return session;
}

/** The saved runs (OPFS, else IndexedDB), opened on first use. */
export function runs(): Promise<CheckpointStore> {
  runsStore ??= CheckpointStore.open();
  runsStore.catch(() => {
    runsStore = undefined;
  });
  return runsStore;
}

/** The saved run the current session checkpoints to, if any. */
export function savedRunNow(): Readonly<{ id?: string; name: string }> | undefined {
  return savedRun;
}

/** A saved run was renamed or deleted: the current run follows (a deleted one saves anew). */
export function savedRunChanged(id: string, change: { name: string } | 'deleted'): void {
  if (savedRun?.id !== id) return;
  if (change === 'deleted') savedRun.id = undefined;
  else savedRun.name = change.name;
}

/** Autosave every N steps from now on (0: off), for this run and the next. */
export function setAutosave(every: number): void {
  autosaveEvery = every;
  if (session) session.autosaveEvery = every;
}

/** Ends the current run or imported model (their GPU buffers go). */
export async function endCurrent(): Promise<void> {
  if (session) {
    await session.stop();
    session.destroy();
    session = undefined;
  }
  imported?.generator?.destroy();
  imported?.model.destroy();
  imported = undefined;
}

/** Drops a run whose device was lost, once its loop has failed (or after `timeoutMs`). */
export async function dropLostSession(timeoutMs: number): Promise<void> {
  if (!session) return;
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs));
  await Promise.race([session.settled(), timeout]);
  session.destroy();
  session = undefined;
}

/** Replaces the current model with an imported one (made once the old one is gone), unsaved. */
export async function replaceWithImported(make: () => ImportedGpt): Promise<void> {
  await endCurrent();
  savedRun = undefined;
  stepsDone = 0;
  imported = make();
}

/** Writes the current run's checkpoint: the first save adds it to the list, later ones replace it. */
export async function saveCurrent(bytes: Uint8Array, step: number): Promise<SavedRun> {
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

/** How a run starts: new (`restore` absent) or from a checkpoint, scheduled when `plan` is given. */
export interface SessionStart {
  /** The run's settings as its checkpoints record them. */
  settings: RunSettings;
  data: Dataset;
  plan: RunSchedule | null | undefined;
  restore?: CheckpointParts;
  /** A new autosave period, for this run and the next (default: keep the current one). */
  autosaveEvery?: number;
  /** The saved run it checkpoints to (a new run is added to the list on its first save). */
  savedAs: { id?: string; name: string };
  onProgress: (p: RunProgress) => void;
  onSaved: (news: SaveNews) => void;
}

/**
 * Ends the current model and makes a training session of `start` the current run, autosaving into
 * the runs list; the session waits for start(). Whatever was checked before this call is the
 * caller's: once it runs, the previous model is gone.
 */
export async function startSession(gpu: GpuContext, start: SessionStart): Promise<TrainingSession> {
  const { settings, data, plan, restore, onProgress, onSaved } = start;
  const scheduled = plan ? scheduledRun(plan, settings.train) : undefined;
  await endCurrent();
  stepsDone = restore?.step ?? 0;
  autosaveEvery = start.autosaveEvery ?? autosaveEvery;
  session = await TrainingSession.create(
    gpu,
    settings.model,
    settings.train,
    data,
    (p) => {
      stepsDone = p.step;
      onProgress(scheduled ? { ...p, lfr: scheduled.take() } : p);
    },
    {
      ...scheduled?.options,
      settings,
      autosaveEvery,
      onAutosave: async (bytes, step) => onSaved({ ok: true, run: await saveCurrent(bytes, step) }),
      onAutosaveError: (e, step) => onSaved({ ok: false, step, message: errorMessage(e) }),
      restore,
      schedulePlan: plan ?? undefined,
    },
  );
  sessionData = data;
  if (plan && session.schedule) rememberSchedule(plan.role, session.schedule, data);
  savedRun = { ...start.savedAs, preset: settings.preset };
  return session;
}
