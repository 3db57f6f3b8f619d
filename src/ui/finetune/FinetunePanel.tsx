import { useEffect, useState } from 'react';
import { refreshFinetuneBase, startFinetune, stopFinetune } from '../../store/finetuneActions';
import {
  OPTIMIZER_LABEL,
  selectFinetuneBusy,
  selectFinetuneReady,
} from '../../store/finetuneSlice';
import { useStudio } from '../../store/store';
import { isSectionHidden } from '../../store/urlSettings';
import type { FinetuneBase, FinetunePause } from '../../worker/protocol';
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

function pauseText(p: FinetunePause): string {
  return `Paused: ${OPTIMIZER_LABEL[p.kind]}’s step ${p.step} produced a non-finite ${p.quantity} in ${p.pair}. Start again with a lower learning rate.`;
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
          disabled={run.phase !== 'running'}
          onClick={() => void stopFinetune()}
        >
          Stop
        </button>
        <Status />
      </div>
      {run.error && (
        <p className="alert" role="alert" data-testid="finetune-error">
          {run.phase === 'failed' ? 'The fine-tune failed: ' : 'The fine-tune could not start: '}
          {run.error}
        </p>
      )}
      {run.nonFinite && (
        <p className="alert" role="alert" data-testid="finetune-nonfinite">
          {pauseText(run.nonFinite)}
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
