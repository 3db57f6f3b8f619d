import { useEffect, useState } from 'react';
import {
  continueFinetune,
  editFinetuneAutosave,
  exportFinetuneCheckpoint,
  pauseFinetune,
  refreshFinetuneBase,
  resumeFinetuneWithFormRates,
  saveFinetuneNow,
  startFinetune,
  stepFinetune,
  stopFinetune,
} from '../../store/finetuneActions';
import {
  OPTIMIZER_LABEL,
  selectFinetuneBusy,
  selectFinetuneReady,
  selectFinetuneSavable,
} from '../../store/finetuneSlice';
import { parseAutosave } from '../../store/runsSlice';
import { useStudio } from '../../store/store';
import { isSectionHidden } from '../../store/urlSettings';
import type { FinetuneBase, FinetunePause } from '../../worker/protocol';
import { downloadBytes } from '../runs/download';
import { FinetuneOutputs } from './FinetuneOutputs';
import { FinetuneSettings } from './FinetuneSettings';
import { InvarianceDemo } from './InvarianceDemo';
import { LossCurves } from './LossCurves';
import './finetune.css';

const PHASE_TEXT = {
  idle: 'not started',
  starting: 'building the adapters and optimizers on the GPU',
  running: 'fine-tuning',
  paused: 'paused',
  done: 'done',
  stopped: 'stopped',
  failed: 'failed',
};

function describeBase(base: FinetuneBase | null | undefined): string {
  if (base === undefined) return 'Looking for a base model…';
  if (base === null)
    return 'No base model yet: train one above (a few steps will do), or import GPT-2 weights in the runs list.';
  const c = base.config;
  const shape = `${c.nLayer} layers, width ${c.nEmbd}, context ${c.blockSize}, ${base.tokenizer} tokenizer`;
  if (base.source === 'imported') return `Base: the imported GPT-2 weights (${shape}).`;
  const busy = base.busy ? ' It is training: pause or stop it to fine-tune.' : '';
  return `Base: the model trained above, at step ${base.step} (${shape}).${busy}`;
}

function pauseText(p: FinetunePause, saved: boolean): string {
  const next = saved
    ? 'Lower the learning rate in the form, then resume from the last checkpoint.'
    : 'It was never saved: start again with a lower learning rate.';
  return `Paused: ${OPTIMIZER_LABEL[p.kind]}’s step ${p.step} produced a non-finite ${p.quantity} in ${p.pair}. ${next}`;
}

/** Pause, Continue and Step between steps, as for pretraining. */
function RunControls() {
  const run = useStudio((s) => s.finetuneRun);
  const stepping = run.phase === 'paused' && !run.nonFinite;
  return (
    <>
      <button
        type="button"
        className="secondary"
        data-testid="finetune-pause"
        disabled={run.phase !== 'running'}
        onClick={() => void pauseFinetune()}
      >
        Pause
      </button>
      <button
        type="button"
        className="secondary"
        data-testid="finetune-continue"
        disabled={!stepping}
        onClick={() => void continueFinetune()}
      >
        Continue
      </button>
      <button
        type="button"
        className="secondary"
        data-testid="finetune-step"
        disabled={!stepping}
        title="One step of the next optimizer"
        onClick={() => void stepFinetune()}
      >
        Step
      </button>
    </>
  );
}

/** The fine-tune's checkpoints: autosave, Save now, the file, and what the last save did. */
function SaveControls() {
  const save = useStudio((s) => s.finetuneSave);
  const savable = useStudio(selectFinetuneSavable);
  const parsed = parseAutosave(save.autosave);
  return (
    <div className="toolbar">
      <div className="field autosave">
        <label htmlFor="finetune-autosave">autosave every N steps of each optimizer</label>
        <input
          id="finetune-autosave"
          data-testid="finetune-autosave"
          type="text"
          inputMode="numeric"
          value={save.autosave}
          aria-invalid={!parsed.ok}
          onChange={(e) => void editFinetuneAutosave(e.target.value)}
        />
        {!parsed.ok && (
          <span className="alert" role="alert">
            {parsed.error}
          </span>
        )}
      </div>
      <button
        type="button"
        data-testid="finetune-save-now"
        disabled={!savable}
        onClick={() => void saveFinetuneNow()}
      >
        Save now
      </button>
      <button
        type="button"
        className="secondary"
        data-testid="finetune-export-checkpoint"
        disabled={!savable}
        onClick={() =>
          void exportFinetuneCheckpoint((name, bytes) =>
            downloadBytes(name, bytes, 'application/octet-stream'),
          )
        }
      >
        Export checkpoint
      </button>
      {save.lastSteps !== undefined && (
        <span className="muted" data-testid="finetune-last-save" data-steps={save.lastSteps}>
          Saved in the runs list at {save.lastSteps} steps (all optimizers together).
        </span>
      )}
      {save.error && (
        <span className="alert" role="alert" data-testid="finetune-save-error">
          <strong>The fine-tune was not saved; it goes on.</strong> {save.error}
        </span>
      )}
    </div>
  );
}

function Status() {
  const run = useStudio((s) => s.finetuneRun);
  const kinds = (['adam', 'rite'] as const).filter((k) => run.done[k] !== undefined);
  return (
    <p className="muted" data-testid="finetune-status" data-phase={run.phase}>
      {PHASE_TEXT[run.phase]}
      {kinds.map((k) => `; ${OPTIMIZER_LABEL[k]} ${run.done[k]} of ${run.steps} steps`).join('')}
      {run.msPerStep > 0 && `; ${Math.round(run.msPerStep)} ms per step`}
    </p>
  );
}

function Body() {
  const base = useStudio((s) => s.finetuneBase);
  const errors = useStudio((s) => s.finetuneErrors);
  const run = useStudio((s) => s.finetuneRun);
  const busy = useStudio(selectFinetuneBusy);
  const ready = useStudio(selectFinetuneReady);
  const savedId = useStudio((s) => s.finetuneSave.runId);
  // The base changes with the training run (a new run, a pause, a stop) and with an import.
  useEffect(() => {
    void refreshFinetuneBase();
    return useStudio.subscribe((now, before) => {
      if (now.run.phase !== before.run.phase || now.imported !== before.imported)
        void refreshFinetuneBase();
    });
  }, []);
  return (
    <>
      <p data-testid="finetune-base">{describeBase(base)}</p>
      <FinetuneSettings disabled={busy} />
      {errors.length > 0 && (
        <ul className="alert settings-errors" role="alert" data-testid="finetune-errors">
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      <div className="toolbar">
        <button
          type="button"
          data-testid="finetune-start"
          disabled={!ready}
          onClick={() => void startFinetune()}
        >
          Start fine-tuning
        </button>
        <button
          type="button"
          className="secondary"
          data-testid="finetune-stop"
          disabled={run.phase !== 'running' && run.phase !== 'paused'}
          onClick={() => void stopFinetune()}
        >
          Stop
        </button>
        <RunControls />
        <Status />
      </div>
      {run.error && (
        <p className="alert" role="alert" data-testid="finetune-error">
          {run.phase === 'failed' ? 'The fine-tune failed: ' : 'The fine-tune could not start: '}
          {run.error}
        </p>
      )}
      <SaveControls />
      {run.nonFinite && (
        <p className="alert" role="alert" data-testid="finetune-nonfinite">
          {pauseText(run.nonFinite, savedId !== undefined)}{' '}
          {savedId !== undefined && (
            <button
              type="button"
              data-testid="finetune-resume-lower"
              onClick={() => void resumeFinetuneWithFormRates()}
            >
              Resume from the last checkpoint
            </button>
          )}
        </p>
      )}
      <LossCurves />
      <FinetuneOutputs busy={busy} />
      <InvarianceDemo disabled={busy} />
    </>
  );
}

/**
 * LoRA fine-tuning of the studio's model: Adam and LoRA-RITE side by side, and the invariance
 * demo. Folded until opened, so its charts cost nothing before.
 */
export function FinetunePanel() {
  const [open, setOpen] = useState(false);
  const hidden = useStudio((s) => isSectionHidden(s.classroom, 'lora'));
  if (hidden) return null;
  return (
    <section
      className="panel finetune"
      data-testid="finetune-panel"
      aria-labelledby="finetune-title"
    >
      <details open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary data-testid="finetune-open">
          <h2 id="finetune-title">Fine-tune with LoRA (Adam and LoRA-RITE)</h2>
        </summary>
        {open && <Body />}
      </details>
    </section>
  );
}
