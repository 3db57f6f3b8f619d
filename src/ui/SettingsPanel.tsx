import { PRESETS } from '../model/config';
import { estimateMemory } from '../model/validate';
import { selectAdapter } from '../store/gpuSlice';
import { editSetting, selectPreset, selectTokenizer } from '../store/settingsActions';
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
import { isSectionHidden, URL_KEYS } from '../store/urlSettings';
import { formatBytes } from './format';
import { HelpTip } from './help/HelpTip';
import { LinkBar } from './help/LinkBar';
import { LfrSettings } from './lfr/LfrSettings';
import { describedBy, FixedNote, useLinkRule } from './share/linkRule';

function PresetPicker({ disabled }: { disabled: boolean }) {
  const presetId = useStudio(selectPresetId);
  const rule = useLinkRule('preset');
  if (rule.hidden) return null;
  return (
    <fieldset className="presets" disabled={disabled || rule.fixed} data-testid="preset-picker">
      <legend>
        Preset <HelpTip topic="preset" />
      </legend>
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
  // An LFR run lasts its schedule: max steps does not apply.
  const unused = useStudio((s) => spec.key === 'maxSteps' && s.lfrForm.schedule === 'lfr');
  const rule = useLinkRule(URL_KEYS[spec.key]);
  const id = `setting-${spec.key}`;
  if (rule.hidden) return null;
  return (
    <div className="field">
      <div className="field-label">
        <label htmlFor={id}>{spec.label}</label>
        <HelpTip topic={spec.key} />
      </div>
      <input
        id={id}
        data-testid={id}
        type="text"
        inputMode={spec.step === '1' ? 'numeric' : 'decimal'}
        value={value}
        disabled={disabled || unused || rule.fixed}
        aria-describedby={describedBy(id, rule.fixed)}
        onChange={(e) => editSetting(spec.key, e.target.value)}
      />
      <span id={`${id}-hint`} className="hint">
        {spec.hint}
      </span>
      {rule.fixed && <FixedNote id={`${id}-fixed`} />}
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

function TokenizerPicker({ disabled }: { disabled: boolean }) {
  const tokenizer = useStudio(selectTokenizerName);
  const rule = useLinkRule('tokenizer');
  if (rule.hidden) return null;
  return (
    <div className="field">
      <div className="field-label">
        <label htmlFor="setting-tokenizer">tokenizer</label>
        <HelpTip topic="tokenizer" />
      </div>
      <select
        id="setting-tokenizer"
        data-testid="setting-tokenizer"
        value={tokenizer}
        disabled={disabled || rule.fixed}
        aria-describedby={describedBy('setting-tokenizer', rule.fixed)}
        onChange={(e) => selectTokenizer(e.target.value === 'gpt2' ? 'gpt2' : 'byte')}
      >
        <option value="byte">byte (256 ids)</option>
        <option value="gpt2">GPT-2 BPE (50257 ids)</option>
      </select>
      <span className="hint" id="setting-tokenizer-hint">
        How text becomes ids; vocab_size follows it. Bytes suit tiny models; GPT-2 BPE makes
        sequences about 4x shorter but the output layer 200x wider.
      </span>
      {rule.fixed && <FixedNote id="setting-tokenizer-fixed" />}
    </div>
  );
}

/** The preset, the settings as typed, what is wrong with them, and what they will cost. */
export function SettingsPanel() {
  const errors = useStudio(selectSettingsErrors);
  const live = useStudio(selectRunLive);
  const starting = useStudio(selectRunStarting);
  const locked = live || starting;
  const modelHidden = useStudio((s) => isSectionHidden(s.classroom, 'model'));
  const trainingHidden = useStudio((s) => isSectionHidden(s.classroom, 'training'));
  const lfrHidden = useStudio((s) => isSectionHidden(s.classroom, 'lfr'));
  // The fieldsets are not disabled as a whole: each input is, so the help buttons stay usable.
  return (
    <div className="settings" data-testid="settings">
      <LinkBar />
      <PresetPicker disabled={locked} />
      {!modelHidden && (
        <fieldset className="fields" data-testid="settings-model">
          <legend>Model</legend>
          <TokenizerPicker disabled={locked} />
          {MODEL_FIELDS.map((f) => (
            <Field key={f.key} spec={f} disabled={locked} />
          ))}
        </fieldset>
      )}
      {!trainingHidden && (
        <fieldset className="fields" data-testid="settings-training">
          <legend>Training</legend>
          {TRAIN_FIELDS.map((f) => (
            <Field key={f.key} spec={f} disabled={locked} />
          ))}
        </fieldset>
      )}
      {!lfrHidden && <LfrSettings disabled={locked} />}
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
