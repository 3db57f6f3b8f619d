// Actions of the durable runs: the runs list, saving, resuming, import and export, and the way
// back from a lost device, a crashed worker or a refused start.
import { PRESETS } from '../model/config';
import { callback, onWorkerCrash, restartWorker } from '../worker/client';
import { errorMessage as message } from '../worker/errorMessage';
import type { ModelFiles, RunProgress, TrainSettings } from '../worker/protocol';
import { applySave, currentWorker, progressListener, resumeTraining } from './actions';
import { recoverFinetune } from './finetuneActions';
import { connectGpu } from './gpuActions';
import { parseAutosave, smallerPreset } from './runsSlice';
import { revalidate, selectPreset } from './settingsActions';
import { FIELDS, type SettingsForm } from './settingsForm';
import { useStudio } from './store';
import { freshRun, initialRun } from './trainingSlice';

/** Reads the saved runs from the browser's storage. */
export async function refreshRuns(): Promise<void> {
  try {
    useStudio.setState({ runs: await currentWorker().listRuns(), runsError: undefined });
  } catch (e) {
    useStudio.setState({ runsError: message(e) });
  }
}

/** The autosave field as typed; a valid period applies at once, to the run in progress too. */
export async function editAutosave(text: string): Promise<void> {
  useStudio.setState({ autosave: text });
  const parsed = parseAutosave(text);
  if (parsed.ok) await currentWorker().setAutosave(parsed.every);
}

/** Checkpoints the current run now; a full disk is reported and the run goes on. */
export async function saveNow(): Promise<void> {
  try {
    applySave({ ok: true, run: await currentWorker().saveNow() });
  } catch (e) {
    useStudio.setState({ saveError: message(e) });
  }
}

export async function renameRun(id: string, name: string): Promise<void> {
  try {
    const run = await currentWorker().renameRun(id, name);
    useStudio.setState((s) => ({
      runs: s.runs.map((r) => (r.id === id ? run : r)),
      runsError: undefined,
    }));
  } catch (e) {
    useStudio.setState({ runsError: message(e) });
  }
}

export async function deleteRun(id: string): Promise<void> {
  try {
    await currentWorker().deleteRun(id);
    useStudio.setState((s) => ({
      runs: s.runs.filter((r) => r.id !== id),
      currentRunId: s.currentRunId === id ? undefined : s.currentRunId,
      runsError: undefined,
    }));
  } catch (e) {
    useStudio.setState({ runsError: message(e) });
  }
}

/** The form showing a resumed run's settings (so Train would start the same run afresh). */
function formOf(settings: TrainSettings): SettingsForm {
  const values: Record<string, number> = { ...settings.model, ...settings.train };
  return Object.fromEntries(FIELDS.map((f) => [f.key, String(values[f.key])])) as SettingsForm;
}

/** The page's run state for a run the worker is about to replay from a checkpoint. */
function beginRestoredRun(): (p: RunProgress) => void {
  const onProgress = progressListener();
  useStudio.setState((s) =>
    freshRun(s, {
      run: { ...initialRun, phase: 'starting' },
      saveError: undefined,
      imported: undefined,
    }),
  );
  return onProgress;
}

/** Makes a saved run the current one and continues training it. */
export async function resumeRun(id: string): Promise<boolean> {
  const onProgress = beginRestoredRun();
  const result = await currentWorker().resumeRun(id, callback(onProgress), callback(applySave));
  if (!result.ok) {
    useStudio.setState((s) => ({ runsError: result.message, run: { ...s.run, phase: 'idle' } }));
    return false;
  }
  const preset = PRESETS.find((p) => p.id === result.settings.preset);
  useStudio.setState((s) => ({
    runsError: undefined,
    currentRunId: result.run.id,
    lastSave: result.run,
    workerCrash: undefined,
    presetId: preset?.id ?? s.presetId,
    tokenizer: result.settings.tokenizer,
    form: formOf(result.settings),
    run: {
      ...s.run,
      phase: s.run.phase === 'starting' ? 'running' : s.run.phase,
      maxSteps: result.maxSteps,
    },
  }));
  revalidate();
  return true;
}

/**
 * After a device loss during a run: the worker acquires the GPU again and reloads the run's last
 * checkpoint, paused; the page then says how many steps were lost and waits for "Continue".
 */
export async function recoverFromDeviceLoss(): Promise<void> {
  const lostAtStep = useStudio.getState().run.step;
  useStudio.setState({ recovery: { phase: 'recovering', lostAtStep } });
  const onProgress = beginRestoredRun();
  const result = await currentWorker().recoverRun(callback(onProgress), callback(applySave));
  if (!result.ok) {
    useStudio.setState((s) => ({
      recovery: { phase: 'failed', message: result.message },
      run: { ...s.run, phase: 'failed', error: result.message },
    }));
    return;
  }
  // A fine-tune on the lost device comes back too, from its own last checkpoint.
  if (useStudio.getState().finetuneRun.phase !== 'idle') await recoverFinetune();
  useStudio.setState((s) => ({
    gpu: result.gpu,
    deviceLost: undefined,
    recovery: {
      phase: 'ready',
      lostAtStep: result.lostAtStep,
      restoredStep: result.restoredStep,
    },
    run:
      result.restoredStep === null
        ? { ...initialRun }
        : { ...s.run, phase: s.run.phase === 'starting' ? 'paused' : s.run.phase },
  }));
}

/** "Continue" after a recovery: trains on from the reloaded checkpoint. */
export async function continueAfterRecovery(): Promise<void> {
  useStudio.setState({ recovery: undefined });
  await resumeTraining();
}

/** After a worker crash: a fresh worker, the GPU again, and the last saved run resumed. */
export async function restartAfterCrash(): Promise<void> {
  const { currentRunId } = useStudio.getState();
  restartWorker();
  useStudio.setState({ gpu: undefined, deviceLost: undefined, run: initialRun });
  await connectGpu();
  if (currentRunId) {
    if (await resumeRun(currentRunId)) useStudio.setState({ workerCrash: undefined });
  } else {
    useStudio.setState({ workerCrash: undefined });
  }
}

/** The smaller preset a memory message offers, applied to the form. */
export function applySmallerPreset(): void {
  const smaller = smallerPreset(useStudio.getState().presetId);
  if (smaller) selectPreset(smaller);
  useStudio.setState({ startOutOfMemory: false, startError: undefined });
}

async function transfer<T>(what: string, work: () => Promise<T>, done: (r: T) => string) {
  useStudio.setState({ transfer: { busy: what, error: undefined, done: undefined } });
  try {
    const result = await work();
    useStudio.setState({ transfer: { busy: undefined, error: undefined, done: done(result) } });
    return result;
  } catch (e) {
    useStudio.setState({ transfer: { busy: undefined, error: message(e), done: undefined } });
    return undefined;
  }
}

/** The current model as model.safetensors and config.json. */
export function exportModel(): Promise<ModelFiles | undefined> {
  return transfer(
    'Exporting the model…',
    () => currentWorker().exportModel(),
    () => 'Model exported.',
  );
}

export function exportCheckpoint(): Promise<Uint8Array | undefined> {
  return transfer(
    'Writing the checkpoint…',
    () => currentWorker().exportCheckpoint(),
    () => 'Checkpoint exported.',
  );
}

/** Adds a checkpoint file to the runs list (checked in full first; the current run stays). */
export async function importCheckpoint(file: File): Promise<void> {
  const run = await transfer(
    `Checking ${file.name}…`,
    async () =>
      currentWorker().importCheckpoint(new Uint8Array(await file.arrayBuffer()), file.name),
    (r) =>
      `${file.name} is in the list of runs as "${r.name}" (step ${r.step}): resume it from there.`,
  );
  if (run) useStudio.setState((s) => ({ runs: [run, ...s.runs.filter((r) => r.id !== run.id)] }));
}

/**
 * Makes Hugging Face GPT-2 weights the current model: `files` holds a .safetensors file and
 * optionally its config.json. A refused file changes nothing.
 */
export async function importHfModel(files: File[]): Promise<void> {
  const weights = files.find((f) => f.name.endsWith('.safetensors'));
  const config = files.find((f) => f.name.endsWith('.json'));
  if (!weights) {
    useStudio.setState({
      transfer: {
        busy: undefined,
        done: undefined,
        error:
          'Choose the model.safetensors file (and, if you have it, its config.json). Nothing was imported.',
      },
    });
    return;
  }
  const model = await transfer(
    `Importing ${weights.name}…`,
    async () =>
      currentWorker().importHfModel(
        new Uint8Array(await weights.arrayBuffer()),
        config ? await config.text() : undefined,
      ),
    (m) =>
      `${weights.name} is the current model: ${m.parameterCount.toLocaleString('en-US')} parameters, n_layer ${m.config.nLayer}, n_embd ${m.config.nEmbd}, ${m.tokenizer} tokenizer. Sample it below.`,
  );
  if (!model) return;
  useStudio.setState((s) =>
    freshRun(s, {
      imported: model,
      run: { ...initialRun, phase: 'stopped' },
      currentRunId: undefined,
      lastSave: undefined,
    }),
  );
}

/**
 * Wires the failure paths: a device loss during a run starts the recovery, a worker crash is
 * shown with its way back. Returns the unsubscribe.
 */
export function watchFailures(): () => void {
  const stopCrash = onWorkerCrash((text) => useStudio.setState({ workerCrash: text }));
  const stopLoss = useStudio.subscribe((s, prev) => {
    if (!s.deviceLost || prev.deviceLost) return;
    const phase = s.run.phase;
    if (phase !== 'idle' && phase !== 'loading-data' && !s.recovery) void recoverFromDeviceLoss();
  });
  return () => {
    stopCrash();
    stopLoss();
  };
}
