// The fine-tune view's actions: the form (checked by the worker as it is typed), the base, the
// side-by-side run, sampling and export of its adapters, and the invariance demo.
import type { LoraTarget } from '../model/lora';
import { callback } from '../worker/client';
import { errorMessage as message } from '../worker/errorMessage';
import type { FinetuneProgress, FinetuneRequest, SaveNews } from '../worker/protocol';
import { currentWorker } from './actions';
import {
  applyFinetuneProgress,
  type FinetuneFieldKey,
  type FinetuneForm,
  initialFinetuneRun,
  invarianceFromForm,
  type OptimizerKind,
  requestFromForm,
  selectFinetuneReady,
} from './finetuneSlice';
import { streamedStep } from './invarianceSteps';
import { parseAutosave } from './runsSlice';
import { settingsFromForm } from './settingsForm';
import { useStudio } from './store';

// Checks answer out of order when typing is fast: only the latest one counts.
let checkId = 0;

/** Has the worker check the form as it stands (against the base's shapes, or the training form's). */
export async function checkFinetune(): Promise<void> {
  const id = ++checkId;
  const s = useStudio.getState();
  const fallback = settingsFromForm(s.presetId, s.form, s.tokenizer).model;
  useStudio.setState({ finetuneChecking: true });
  try {
    const errors = await currentWorker().checkFinetune(requestFromForm(s.finetuneForm), fallback);
    if (id === checkId) useStudio.setState({ finetuneErrors: errors, finetuneChecking: false });
  } catch (e) {
    if (id === checkId)
      useStudio.setState({ finetuneErrors: [message(e)], finetuneChecking: false });
  }
}

/** Asks the worker which model a fine-tune would start from now, then checks the form for it. */
export async function refreshFinetuneBase(): Promise<void> {
  try {
    useStudio.setState({ finetuneBase: await currentWorker().finetuneBase() });
  } catch (e) {
    useStudio.setState({ finetuneBase: null, finetuneErrors: [message(e)] });
    return;
  }
  await checkFinetune();
}

function editForm(change: (form: FinetuneForm) => FinetuneForm): Promise<void> {
  useStudio.setState((s) => ({ finetuneForm: change(s.finetuneForm) }));
  return checkFinetune();
}

/** One text field as typed. */
export const editFinetuneField = (key: FinetuneFieldKey, value: string) =>
  editForm((f) => ({ ...f, values: { ...f.values, [key]: value } }));

/** Any of the form's choices (text, optimizer, order, escaped mass, S). */
export const chooseFinetune = <K extends Exclude<keyof FinetuneForm, 'values' | 'targets'>>(
  key: K,
  value: FinetuneForm[K],
) => editForm((f) => ({ ...f, [key]: value }));

/** Adds or removes one target layer. */
export const toggleFinetuneTarget = (target: LoraTarget, on: boolean) =>
  editForm((f) => ({
    ...f,
    targets: on
      ? [...f.targets.filter((t) => t !== target), target]
      : f.targets.filter((t) => t !== target),
  }));

// Events of an earlier run (e.g. the final one of a stopped run) must not reach a newer run's chart.
let runId = 0;

/** A save's news: the runs list shows the fine-tune as saved, or the message why not. */
function applyFinetuneSave(news: SaveNews): void {
  useStudio.setState((s) =>
    news.ok
      ? {
          finetuneSave: {
            ...s.finetuneSave,
            runId: news.run.id,
            lastSteps: news.run.step,
            error: undefined,
          },
          runs: [news.run, ...s.runs.filter((r) => r.id !== news.run.id)],
        }
      : {
          finetuneSave: {
            ...s.finetuneSave,
            error: `Step ${news.step} was not saved. ${news.message}`,
          },
        },
  );
}

/** The page's fine-tune view reset for a new or resumed run; its progress listener. */
function beginFinetuneRun(steps: number): (p: FinetuneProgress) => void {
  const id = ++runId;
  useStudio.setState((s) => ({
    finetuneRun: { ...initialFinetuneRun, phase: 'starting', steps },
    finetuneCurves: { adam: [], rite: [] },
    finetuneVersion: s.finetuneVersion + 1,
    finetuneSample: { busy: false, kind: undefined, text: undefined, error: undefined },
    finetuneExportError: undefined,
    finetuneSave: { ...s.finetuneSave, runId: undefined, lastSteps: undefined, error: undefined },
  }));
  // After a worker crash the run has failed (finetuneCrash.ts), whatever the worker still sends.
  return (p: FinetuneProgress) => {
    if (id === runId && !useStudio.getState().workerCrash)
      useStudio.setState((st) => applyFinetuneProgress(st, p));
  };
}

/** Starts the side-by-side run from the form; resolves once it started (true) or was refused. */
export async function startFinetune(): Promise<boolean> {
  await checkFinetune();
  const s = useStudio.getState();
  if (!selectFinetuneReady(s)) return false;
  const request = requestFromForm(s.finetuneForm);
  const onProgress = beginFinetuneRun(request.steps);
  try {
    await applyFinetuneAutosave();
    const started = await currentWorker().startFinetune(
      request,
      s.finetuneForm.text,
      callback(onProgress),
      callback(applyFinetuneSave),
    );
    if (!started.ok) {
      useStudio.setState({ finetuneRun: { ...initialFinetuneRun, error: started.message } });
      return false;
    }
    // A run's base was saved as the fine-tune started (so it can be found again): list it.
    useStudio.setState({ runs: await currentWorker().listRuns() });
    return true;
  } catch (e) {
    useStudio.setState({ finetuneRun: { ...initialFinetuneRun, error: message(e) } });
    return false;
  }
}

/** A control of the running fine-tune; a refusal shows as the run's error. */
async function control(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    useStudio.setState((s) => ({ finetuneRun: { ...s.finetuneRun, error: message(e) } }));
  }
}

export const stopFinetune = () => control(() => currentWorker().stopFinetune());
export const pauseFinetune = () => control(() => currentWorker().pauseFinetune());
export const continueFinetune = () => control(() => currentWorker().continueFinetune());
export const stepFinetune = () => control(() => currentWorker().stepFinetune());

async function applyFinetuneAutosave(): Promise<void> {
  const parsed = parseAutosave(useStudio.getState().finetuneSave.autosave);
  if (parsed.ok) await currentWorker().setFinetuneAutosave(parsed.every);
}

/** The fine-tune's autosave field as typed; a valid period applies at once. */
export async function editFinetuneAutosave(text: string): Promise<void> {
  useStudio.setState((s) => ({ finetuneSave: { ...s.finetuneSave, autosave: text } }));
  await applyFinetuneAutosave();
}

/** Checkpoints the fine-tune into the runs list now; a full disk is reported, the run goes on. */
export async function saveFinetuneNow(): Promise<void> {
  try {
    applyFinetuneSave({ ok: true, run: await currentWorker().saveFinetuneNow() });
  } catch (e) {
    useStudio.setState((s) => ({ finetuneSave: { ...s.finetuneSave, error: message(e) } }));
  }
}

/** The fine-tune's checkpoint file, handed to `save` (the page downloads it). */
export async function exportFinetuneCheckpoint(
  save: (name: string, data: Uint8Array) => void,
): Promise<void> {
  try {
    save('finetune.ckpt', await currentWorker().exportFinetuneCheckpoint());
  } catch (e) {
    useStudio.setState((s) => ({ finetuneSave: { ...s.finetuneSave, error: message(e) } }));
  }
}

/** The form showing a resumed fine-tune's settings. */
function formWith(form: FinetuneForm, request: FinetuneRequest, text: FinetuneForm['text']) {
  const both = request.optimizers.length === 2;
  return {
    ...form,
    text,
    targets: [...request.lora.targets],
    optimizer: both ? ('both' as const) : request.optimizers[0],
    order: request.order,
    escapedMass: request.escapedMass,
    decay: request.decay,
    separateRates: request.riteLr !== undefined,
    values: {
      ...form.values,
      rank: String(request.lora.rank),
      alpha: String(request.lora.alpha),
      lr: String(request.lr),
      riteLr: String(request.riteLr ?? form.values.riteLr),
      warmup: String(request.warmupSteps),
      steps: String(request.steps),
      batchSize: String(request.batchSize),
      seed: String(request.seed),
    },
  };
}

/**
 * Makes a saved fine-tune the current one and continues it; `rates` lowers the peak rates (after
 * a non-finite pause). Resolves true once it runs; a refusal is shown in the runs list.
 */
export async function resumeFinetune(
  id: string,
  rates?: { lr: number; riteLr?: number },
): Promise<boolean> {
  const saved = useStudio.getState().runs.find((r) => r.id === id);
  const onProgress = beginFinetuneRun(0);
  try {
    await applyFinetuneAutosave();
    const result = await currentWorker().resumeFinetuneRun(
      id,
      callback(onProgress),
      callback(applyFinetuneSave),
      rates,
    );
    if (!result.ok) {
      useStudio.setState({
        runsError: result.message,
        finetuneRun: { ...initialFinetuneRun, error: result.message },
      });
      return false;
    }
    useStudio.setState((s) => ({
      runsError: undefined,
      finetuneForm: formWith(s.finetuneForm, result.request, result.text),
      finetuneSave: { ...s.finetuneSave, runId: id, lastSteps: saved?.step },
    }));
    return true;
  } catch (e) {
    useStudio.setState({ finetuneRun: { ...initialFinetuneRun, error: message(e) } });
    return false;
  }
}

/**
 * After a non-finite pause: the fine-tune's last checkpoint again, at the form's (lowered) rates.
 */
export async function resumeFinetuneWithFormRates(): Promise<boolean> {
  const s = useStudio.getState();
  const id = s.finetuneSave.runId;
  if (!id) {
    useStudio.setState({
      finetuneRun: {
        ...s.finetuneRun,
        error: 'This fine-tune was never saved: start it again with a lower learning rate.',
      },
    });
    return false;
  }
  const { lr, riteLr } = requestFromForm(s.finetuneForm);
  return resumeFinetune(id, riteLr === undefined ? { lr } : { lr, riteLr });
}

/** After a device loss: the fine-tune again from its last checkpoint, paused. */
export async function recoverFinetune(): Promise<void> {
  const before = useStudio.getState();
  const onProgress = beginFinetuneRun(before.finetuneRun.steps);
  useStudio.setState({ finetuneSave: before.finetuneSave });
  try {
    const r = await currentWorker().recoverFinetune(
      callback(onProgress),
      callback(applyFinetuneSave),
    );
    if (r.restoredSteps === null)
      useStudio.setState((s) => ({
        finetuneRun: {
          ...s.finetuneRun,
          phase: 'failed',
          error: `The GPU was lost after ${r.lostAtSteps} steps and the fine-tune had no checkpoint: start it again.`,
        },
      }));
  } catch (e) {
    useStudio.setState((s) => ({ finetuneRun: { ...s.finetuneRun, error: message(e) } }));
  }
}

let samples = 0;

/** Continues `prompt` from the base with this optimizer's adapters merged in. */
export async function sampleFinetuned(
  kind: OptimizerKind,
  prompt: string,
  options: { maxNewTokens: number; temperature: number; topK: number },
): Promise<void> {
  useStudio.setState((s) => ({
    finetuneSample: { ...s.finetuneSample, busy: true, kind, error: undefined },
  }));
  try {
    const text = await currentWorker().sampleFinetuned(kind, prompt, {
      ...options,
      seed: ++samples,
    });
    useStudio.setState({ finetuneSample: { busy: false, kind, text, error: undefined } });
  } catch (e) {
    useStudio.setState((s) => ({
      finetuneSample: { ...s.finetuneSample, busy: false, error: message(e) },
    }));
  }
}

/** This optimizer's adapters as PEFT files, handed to `save` (the page downloads them). */
export async function exportFinetuned(
  kind: OptimizerKind,
  save: (name: string, data: Uint8Array | string) => void,
): Promise<void> {
  useStudio.setState({ finetuneExportError: undefined });
  try {
    const files = await currentWorker().exportFinetuned(kind);
    save(`adapter_model.safetensors`, files.safetensors);
    save(`adapter_config.json`, files.adapterConfigJson);
  } catch (e) {
    useStudio.setState({ finetuneExportError: message(e) });
  }
}

let demoId = 0;

/** The invariance demo with the form's settings and S; its series grow step by step. */
export async function runInvarianceDemo(): Promise<void> {
  await checkFinetune();
  const s = useStudio.getState();
  if (!selectFinetuneReady(s)) return;
  const id = ++demoId;
  useStudio.setState({ invariance: { status: 'running', series: [], error: undefined } });
  try {
    const result = await currentWorker().runInvariance(
      invarianceFromForm(s.finetuneForm),
      s.finetuneForm.text,
      callback((step) => {
        if (id === demoId)
          useStudio.setState((st) => ({ invariance: streamedStep(st.invariance, step) }));
      }),
    );
    if (id !== demoId) return;
    useStudio.setState((st) => ({
      invariance: result.ok
        ? { status: 'done', series: result.series, error: undefined }
        : { ...st.invariance, status: 'failed', error: result.message },
    }));
  } catch (e) {
    useStudio.setState((st) => ({
      invariance: { ...st.invariance, status: 'failed', error: message(e) },
    }));
  }
}
