// Durable runs in the page: the saved runs list, the autosave setting, what the last save did,
// and the failures a run can meet (device loss and its recovery, a crashed worker, a non-finite
// loss, a GPU out of memory), each with what the user can do next.
import { PRESETS } from '../model/config';
import type { ImportedModel, NonFinitePause, SavedRun, SaveNews } from '../worker/protocol';
import type { PresetId } from './settingsForm';

export const DEFAULT_AUTOSAVE = '50';

/** After a device loss: re-acquiring and reloading, then waiting for "Continue", or why not. */
export type RecoveryState =
  | { phase: 'recovering'; lostAtStep: number }
  | { phase: 'ready'; lostAtStep: number; restoredStep: number | null }
  | { phase: 'failed'; message: string };

/** An import or export in progress, or how the last one ended. */
export interface TransferState {
  busy: string | undefined;
  error: string | undefined;
  done: string | undefined;
}

export interface RunsSlice {
  runs: SavedRun[];
  /** Listing, renaming, deleting or resuming a saved run went wrong. */
  runsError: string | undefined;
  /** The autosave period as typed ("0" for off). */
  autosave: string;
  /** The saved run the current run writes to, once it was saved. */
  currentRunId: string | undefined;
  lastSave: SavedRun | undefined;
  /** Why the last save failed (e.g. storage full): the run goes on. */
  saveError: string | undefined;
  transfer: TransferState;
  recovery: RecoveryState | undefined;
  /** The worker crashed with this message; the page offers to resume from the last checkpoint. */
  workerCrash: string | undefined;
  nonFinite: NonFinitePause | undefined;
  /** The last start was refused for GPU memory: offer a smaller preset. */
  startOutOfMemory: boolean;
  /** Hugging Face weights imported as the current model. */
  imported: ImportedModel | undefined;
}

export function initialRuns(): RunsSlice {
  return {
    runs: [],
    runsError: undefined,
    autosave: DEFAULT_AUTOSAVE,
    currentRunId: undefined,
    lastSave: undefined,
    saveError: undefined,
    transfer: { busy: undefined, error: undefined, done: undefined },
    recovery: undefined,
    workerCrash: undefined,
    nonFinite: undefined,
    startOutOfMemory: false,
    imported: undefined,
  };
}

/** The autosave period, or the message saying what is wrong with the field. */
export function parseAutosave(
  text: string,
): { ok: true; every: number } | { ok: false; error: string } {
  const every = text.trim() === '' ? Number.NaN : Number(text);
  if (Number.isInteger(every) && every >= 0) return { ok: true, every };
  return {
    ok: false,
    error: `autosave must be a whole number of steps, 0 for off (got ${text}).`,
  };
}

/** The state after a save's news: the list shows the run as saved, or the message why not. */
export function applySaveNews(s: RunsSlice, news: SaveNews): Partial<RunsSlice> {
  if (!news.ok) return { saveError: `Step ${news.step} was not saved. ${news.message}` };
  const run = news.run;
  return {
    currentRunId: run.id,
    lastSave: run,
    saveError: undefined,
    runs: [run, ...s.runs.filter((r) => r.id !== run.id)],
  };
}

/** The next smaller preset, or undefined when the current one is the smallest. */
export function smallerPreset(id: PresetId): PresetId | undefined {
  const i = PRESETS.findIndex((p) => p.id === id);
  return i > 0 ? PRESETS[i - 1].id : undefined;
}

/** Whether a settings message is about GPU memory (a buffer over the adapter's limit). */
export const isMemoryMessage = (message: string): boolean =>
  message.includes("over this GPU's largest buffer");

export const selectRuns = (s: RunsSlice) => s.runs;
export const selectRecovery = (s: RunsSlice) => s.recovery;
