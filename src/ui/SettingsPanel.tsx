import { PRESETS } from '../model/config';
import { estimateMemory } from '../model/validate';
import { editSetting, selectPreset, selectTokenizer } from '../store/actions';
import { selectAdapter } from '../store/gpuSlice';
import {
  type FieldSpec,
  MODEL_FIELDS,
  settingsFromForm,
  TRAIN_FIELDS,
} from '../store/settingsForm';
import { useStudio } from '../store/store';
import {
  selectForm,
  selectPresetId,
  selectRunLive,
  selectRunStarting,
  selectSettingsErrors,
  selectTokenizer as selectTokenizerName,
} from '../store/trainingSlice';
import { formatBytes } from './format';

function PresetPicker({ disabled }: { disabled: boolean }) {
  const presetId = useStudio(selectPresetId);
  return (
    <fieldset className="presets" disabled={disabled}>
      <legend>Preset</legend>
      {PRESETS.map((p) => (
        <label key={p.id} className="preset" data-testid={`preset-${p.id}`}>
          <input
            type="radio"
            name="preset"
            value={p.id}
            checked={presetId === p.id}
            onChange={() => selectPreset(p.id)}
          />
          <span>
            <strong>{p.label}</strong>
            <span className="hint">{p.description}</span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}

function Field({ spec, disabled }: { spec: FieldSpec; disabled: boolean }) {
  const value = useStudio((s) => s.form[spec.key]);
  const id = `setting-${spec.key}`;
  return (
    <div className="field">
      <label htmlFor={id}>{spec.label}</label>
      <input
        id={id}
        data-testid={id}
        type="text"
        inputMode={spec.step === '1' ? 'numeric' : 'decimal'}
        value={value}
        disabled={disabled}
        aria-describedby={`${id}-hint`}
        onChange={(e) => editSetting(spec.key, e.target.value)}
      />
      <span id={`${id}-hint`} className="hint">
        {spec.hint}
      </span>
    </div>
  );
}

function MemoryEstimate() {
  const presetId = useStudio(selectPresetId);
  const form = useStudio(selectForm);
  const adapter = useStudio(selectAdapter);
  const errors = useStudio(selectSettingsErrors);
  const tokenizer = useStudio(selectTokenizerName);
  const { model, train } = settingsFromForm(presetId, form, tokenizer);
  const est = estimateMemory(model, train.batchSize);
  if (!Number.isFinite(est.totalBytes)) return null;
  const cap = adapter
    ? Math.min(adapter.limits.maxStorageBufferBindingSize, adapter.limits.maxBufferSize)
    : undefined;
  return (
    <p className="memory" data-testid="memory-estimate" data-ok={errors.length === 0}>
      <span className="label">GPU memory:</span> about {formatBytes(est.totalBytes)} (weights,
      gradients and AdamW moments {formatBytes(est.paramBytes)}, activations{' '}
      {formatBytes(est.activationBytes)}). Largest buffer: {est.largestBufferName},{' '}
      {formatBytes(est.largestBufferBytes)}
      {cap !== undefined && ` of at most ${formatBytes(cap)} on this GPU`}.
    </p>
  );
}

function TokenizerPicker() {
  const tokenizer = useStudio(selectTokenizerName);
  return (
    <div className="field">
      <label htmlFor="setting-tokenizer">tokenizer</label>
      <select
        id="setting-tokenizer"
        data-testid="setting-tokenizer"
        value={tokenizer}
        aria-describedby="setting-tokenizer-hint"
        onChange={(e) => selectTokenizer(e.target.value === 'gpt2' ? 'gpt2' : 'byte')}
      >
        <option value="byte">byte (256 ids)</option>
        <option value="gpt2">GPT-2 BPE (50257 ids)</option>
      </select>
      <span className="hint" id="setting-tokenizer-hint">
        How text becomes ids; vocab_size follows it. Bytes suit tiny models; GPT-2 BPE makes
        sequences about 4x shorter but the output layer 200x wider.
      </span>
    </div>
  );
}

/** The preset, the settings as typed, what is wrong with them, and what they will cost. */
export function SettingsPanel() {
  const errors = useStudio(selectSettingsErrors);
  const live = useStudio(selectRunLive);
  const starting = useStudio(selectRunStarting);
  const locked = live || starting;
  return (
    <div className="settings" data-testid="settings">
      <PresetPicker disabled={locked} />
      <fieldset className="fields" disabled={locked}>
        <legend>Model</legend>
        <TokenizerPicker />
        {MODEL_FIELDS.map((f) => (
          <Field key={f.key} spec={f} disabled={locked} />
        ))}
      </fieldset>
      <fieldset className="fields" disabled={locked}>
        <legend>Training</legend>
        {TRAIN_FIELDS.map((f) => (
          <Field key={f.key} spec={f} disabled={locked} />
        ))}
      </fieldset>
      {locked && <p className="muted">Stop the run to change its settings.</p>}
      {errors.length > 0 && (
        <ul className="alert settings-errors" role="alert" data-testid="settings-errors">
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      <MemoryEstimate />
    </div>
  );
}
