// Saved runs: the list (OPFS, else IndexedDB), saving, resuming, recovering after a device loss,
// and checkpoint files in and out.
import * as Comlink from 'comlink';
import { decodeFinetuneCheckpoint, isFinetuneCheckpoint } from '../checkpoint/finetuneFormat';
import { decodeCheckpoint } from '../checkpoint/format';
import {
  dropLostSession,
  requireSession,
  runs,
  saveCurrent,
  savedRunChanged,
  savedRunNow,
  setAutosave,
  startSession,
  stepsDoneNow,
} from './current';
import { dataOf } from './data';
import { errorMessage } from './errorMessage';
import { reacquire, requireGpu } from './gpu';
import type {
  Recovery,
  ResumeResult,
  RunProgress,
  SavedRun,
  SaveNews,
  TrainSettings,
} from './protocol';

/** The step a checkpoint was taken at (its header is checked when it is loaded). */
function bytesStep(bytes: Uint8Array): number {
  return decodeCheckpoint(bytes).step;
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
  const plan = parts.lfr?.plan ?? undefined;
  const settings: TrainSettings = {
    tokenizer: parts.settings.tokenizer,
    model: parts.settings.model,
    train: parts.settings.train,
    schedule: plan ?? undefined,
    preset: parts.settings.preset ?? undefined,
  };
  const session = await startSession(gpu, {
    settings: parts.settings,
    data,
    plan,
    restore: parts,
    savedAs: run,
    onProgress,
    onSaved,
  });
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

export const runsApi = {
  /** The saved runs, the most recently updated first. */
  async listRuns(): Promise<SavedRun[]> {
    return (await runs()).list();
  },

  async renameRun(id: string, name: string): Promise<SavedRun> {
    const meta = await (await runs()).rename(id, name);
    savedRunChanged(id, { name: meta.name });
    return meta;
  },

  /** Deletes a saved run; the current run, if it was that one, saves as a new run next time. */
  async deleteRun(id: string): Promise<void> {
    await (await runs()).remove(id);
    savedRunChanged(id, 'deleted');
  },

  /** Checkpoints the current run now (between two steps, if it is training) into the runs list. */
  async saveNow(): Promise<SavedRun> {
    const run = requireSession();
    const bytes = await run.checkpoint();
    return saveCurrent(bytes, bytesStep(bytes));
  },

  /** Autosave every N steps from now on (0: off), for this run and the next. */
  setAutosave(every: number): void {
    setAutosave(every);
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
      if (meta?.kind === 'finetune')
        throw new Error(`"${meta.name}" is a fine-tune: resume it in the fine-tuning view.`);
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
    const lostAtStep = stepsDoneNow();
    try {
      // Its loop fails on the lost device; do not wait forever on a driver that never answers.
      await dropLostSession(10_000);
      const gpu = await reacquire();
      if (!gpu.ok) return { ok: false, message: gpu.message };
      const saved = savedRunNow();
      if (!saved?.id) return { ok: true, gpu, lostAtStep, restoredStep: null, maxSteps: 0 };
      const bytes = await (await runs()).load(saved.id);
      const run = { id: saved.id, name: saved.name };
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
    const name = fileName.replace(/\.[^.]*$/, '') || 'imported run';
    if (isFinetuneCheckpoint(bytes)) {
      // Its base is checked when it is resumed: the base may be imported after the fine-tune.
      const parts = decodeFinetuneCheckpoint(bytes);
      const step = parts.optimizers.reduce((sum, o) => sum + o.step, 0);
      return (await runs()).save(bytes, { name, step, preset: null, kind: 'finetune' });
    }
    const parts = decodeCheckpoint(bytes);
    return (await runs()).save(bytes, { name, step: parts.step, preset: parts.settings.preset });
  },
};
