import { useState } from 'react';
import { exportFinetuned, sampleFinetuned } from '../../store/finetuneActions';
import { OPTIMIZER_LABEL, selectFinetuneTrained } from '../../store/finetuneSlice';
import { parseSampleForm, SAMPLE_DEFAULTS } from '../../store/settingsForm';
import { useStudio } from '../../store/store';
import { DownloadFinetuneRecording } from '../replay/DownloadRecording';
import { downloadBytes } from '../runs/download';

const save = (name: string, data: Uint8Array | string) =>
  downloadBytes(
    name,
    data,
    name.endsWith('.json') ? 'application/json' : 'application/octet-stream',
  );

/** The latest sample of a fine-tuned model, live or replayed. */
export function FinetuneSampleText() {
  const sample = useStudio((s) => s.finetuneSample);
  if (sample.text === undefined || !sample.kind) return null;
  return (
    <pre className="sample-output" data-testid="finetune-sample-output">
      <span className="muted">{OPTIMIZER_LABEL[sample.kind]}: </span>
      <span data-testid="finetune-sample-text">{sample.text}</span>
    </pre>
  );
}

/** Sample from each fine-tuned (merged) model, and export each optimizer's adapters for PEFT. */
export function FinetuneOutputs({ busy }: { busy: boolean }) {
  const [prompt, setPrompt] = useState('');
  const sample = useStudio((s) => s.finetuneSample);
  const exportError = useStudio((s) => s.finetuneExportError);
  const trained = useStudio(selectFinetuneTrained);
  const done = useStudio((s) => s.finetuneRun.done);
  const kinds = (['adam', 'rite'] as const).filter((k) => (done[k] ?? 0) > 0);
  const options = parseSampleForm({ ...SAMPLE_DEFAULTS, prompt });
  if (!trained) return null;
  return (
    <section className="finetune-outputs" data-testid="finetune-outputs">
      <h3>The fine-tuned models</h3>
      <div className="field wide">
        <label htmlFor="finetune-prompt">Prompt</label>
        <textarea
          id="finetune-prompt"
          data-testid="finetune-prompt"
          rows={2}
          value={prompt}
          onChange={(e) => setPrompt(e.target.value)}
        />
      </div>
      <div className="toolbar">
        {kinds.map((k) => (
          <button
            key={k}
            type="button"
            data-testid={`finetune-sample-${k}`}
            disabled={busy || sample.busy || !options.ok}
            onClick={() => options.ok && void sampleFinetuned(k, prompt, options)}
          >
            Sample ({OPTIMIZER_LABEL[k]})
          </button>
        ))}
        {kinds.map((k) => (
          <button
            key={k}
            type="button"
            className="secondary"
            data-testid={`finetune-export-${k}`}
            disabled={busy}
            onClick={() => void exportFinetuned(k, save)}
          >
            Export {OPTIMIZER_LABEL[k]} adapters (PEFT)
          </button>
        ))}
        <DownloadFinetuneRecording busy={busy} />
      </div>
      <p className="hint">
        Sampling merges the adapters into the base (W + (alpha / r) A Bᵀ). The export is
        adapter_model.safetensors and adapter_config.json, for PeftModel.from_pretrained on a GPT-2
        with this model’s shapes.
      </p>
      {sample.error && (
        <p className="alert" role="alert" data-testid="finetune-sample-error">
          Sampling failed: {sample.error}
        </p>
      )}
      {exportError && (
        <p className="alert" role="alert" data-testid="finetune-export-error">
          Export failed: {exportError}
        </p>
      )}
      <FinetuneSampleText />
    </section>
  );
}
