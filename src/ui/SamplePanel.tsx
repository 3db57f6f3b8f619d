import { useState } from 'react';
import { sampleText } from '../store/actions';
import { parseSampleForm, SAMPLE_DEFAULTS, type SampleForm } from '../store/settingsForm';
import { useStudio } from '../store/store';
import { selectCanSample, selectSample } from '../store/trainingSlice';
import { isHidden } from '../store/urlSettings';

const OPTION_FIELDS: { key: Exclude<keyof SampleForm, 'prompt'>; label: string; hint: string }[] = [
  { key: 'maxNewTokens', label: 'tokens', hint: 'How many tokens to add; 20 to 500.' },
  {
    key: 'temperature',
    label: 'temperature',
    hint: 'Below 1 is safer, above 1 wilder; 0 always takes the likeliest token. 0.5 to 1.2.',
  },
  {
    key: 'topK',
    label: 'top-k',
    hint: 'Draw only from the k likeliest tokens; 0 for all. 10 to 200.',
  },
];

/** Continues a prompt with the model as trained so far. */
export function SamplePanel() {
  const [form, setForm] = useState(SAMPLE_DEFAULTS);
  const sample = useStudio(selectSample);
  // A trained run, or imported weights.
  const canSample = useStudio((s) => selectCanSample(s) || s.imported !== undefined);
  const hidden = useStudio((s) => isHidden(s.classroom, 'sampling'));
  const parsed = parseSampleForm(form);
  const set = (key: keyof SampleForm, value: string) => setForm((f) => ({ ...f, [key]: value }));
  if (hidden) return null;
  return (
    <div className="sample" data-testid="sample-panel">
      <h3>Sample from the model</h3>
      <div className="field wide">
        <label htmlFor="sample-prompt">Prompt</label>
        <textarea
          id="sample-prompt"
          data-testid="sample-prompt"
          rows={2}
          value={form.prompt}
          aria-describedby="sample-prompt-hint"
          onChange={(e) => set('prompt', e.target.value)}
        />
        <span id="sample-prompt-hint" className="hint">
          Text the model continues; empty starts a new document.
        </span>
      </div>
      <div className="sample-options">
        {OPTION_FIELDS.map((f) => (
          <div className="field" key={f.key}>
            <label htmlFor={`sample-${f.key}`}>{f.label}</label>
            <input
              id={`sample-${f.key}`}
              data-testid={`sample-${f.key}`}
              type="text"
              inputMode="decimal"
              value={form[f.key]}
              aria-describedby={`sample-${f.key}-hint`}
              onChange={(e) => set(f.key, e.target.value)}
            />
            <span id={`sample-${f.key}-hint`} className="hint">
              {f.hint}
            </span>
          </div>
        ))}
      </div>
      <div className="toolbar">
        <button
          type="button"
          data-testid="sample-button"
          disabled={!canSample || !parsed.ok || sample.busy}
          onClick={() => parsed.ok && void sampleText(form.prompt, parsed)}
        >
          {sample.busy ? 'Sampling…' : 'Sample'}
        </button>
        {!canSample && <span className="muted">Train for at least one step to sample.</span>}
      </div>
      {!parsed.ok && (
        <ul className="alert" role="alert" data-testid="sample-form-errors">
          {parsed.errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      {sample.error && (
        <div className="alert" role="alert" data-testid="sample-error">
          Sampling failed: {sample.error}
        </div>
      )}
      {sample.text !== undefined && (
        <pre className="sample-output" data-testid="sample-output">
          <span className="prompt">{sample.prompt}</span>
          <span data-testid="sample-text">{sample.text}</span>
        </pre>
      )}
    </div>
  );
}
