// The fine-tune view's actions: the form (checked by the worker as it is typed), the base, the
// side-by-side run, sampling and export of its adapters, and the invariance demo.
import type { LoraTarget } from '../model/lora';
import { callback } from '../worker/client';
import { errorMessage as message } from '../worker/errorMessage';
import type { FinetuneProgress } from '../worker/protocol';
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

/** Starts the side-by-side run from the form; resolves once it started (true) or was refused. */
export async function startFinetune(): Promise<boolean> {
  await checkFinetune();
  const s = useStudio.getState();
  if (!selectFinetuneReady(s)) return false;
  const id = ++runId;
  const request = requestFromForm(s.finetuneForm);
  useStudio.setState({
    finetuneRun: { ...initialFinetuneRun, phase: 'starting', steps: request.steps },
    finetuneCurves: { adam: [], rite: [] },
    finetuneVersion: s.finetuneVersion + 1,
    finetuneSample: { busy: false, kind: undefined, text: undefined, error: undefined },
    finetuneExportError: undefined,
  });
  // After a worker crash the run has failed (finetuneCrash.ts), whatever the worker still sends.
  const onProgress = (p: FinetuneProgress) => {
    if (id === runId && !useStudio.getState().workerCrash)
      useStudio.setState((st) => applyFinetuneProgress(st, p));
  };
  try {
    const started = await currentWorker().startFinetune(
      request,
      s.finetuneForm.text,
      callback(onProgress),
    );
    if (!started.ok) {
      useStudio.setState({ finetuneRun: { ...initialFinetuneRun, error: started.message } });
      return false;
    }
    return true;
  } catch (e) {
    useStudio.setState({ finetuneRun: { ...initialFinetuneRun, error: message(e) } });
    return false;
  }
}

export async function stopFinetune(): Promise<void> {
  try {
    await currentWorker().stopFinetune();
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
