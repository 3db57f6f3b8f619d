// The training form's actions: presets, fields, and the messages that follow every change.
import type { TokenizerName } from '../data/tokenizerTypes';
import type { TrainSettings } from '../worker/protocol';
import { selectAdapter } from './gpuSlice';
import { scheduledRunErrors } from './lfrSlice';
import {
  type FieldKey,
  formFromPreset,
  type PresetId,
  presetOf,
  settingsFromForm,
  validateForm,
} from './settingsForm';
import { useStudio } from './store';
import { fixedFields, isFixed } from './urlSettings';

/** Every problem with the form as it stands, against the adapter and the loaded data. */
export function currentSettingsErrors(): string[] {
  const s = useStudio.getState();
  const settings = settingsFromForm(s.presetId, s.form, s.tokenizer);
  const adapter = selectAdapter(s);
  const limits = adapter && {
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  };
  const summary = s.data.summary;
  const trainTokens = summary?.tokenizer === settings.tokenizer ? summary.trainTokens : undefined;
  if (s.lfrForm.schedule === 'lfr') {
    const validate = (t: TrainSettings) => validateForm(t, limits, trainTokens);
    return scheduledRunErrors(settings, s.lfrForm, validate, trainTokens);
  }
  return validateForm(settings, limits, trainTokens);
}

/** Re-checks the form against the adapter's limits and, once loaded, the preset's data. */
export function revalidate(): void {
  useStudio.setState({ settingsErrors: currentSettingsErrors() });
}

/** Fills the form with a preset's settings, except those a classroom link fixed. */
export function selectPreset(id: PresetId): void {
  const preset = presetOf(id);
  const { form, tokenizer, classroom } = useStudio.getState();
  const next = formFromPreset(preset);
  for (const key of fixedFields(classroom)) next[key] = form[key];
  useStudio.setState({
    presetId: id,
    tokenizer: isFixed(classroom, 'tokenizer') ? tokenizer : preset.tokenizer,
    form: next,
  });
  revalidate();
}

/** Picks the tokenizer; the model's vocabulary and the data to load follow it. */
export function selectTokenizer(name: TokenizerName): void {
  useStudio.setState({ tokenizer: name });
  revalidate();
}

/** One field as typed; the messages follow on every keystroke. */
export function editSetting(key: FieldKey, value: string): void {
  useStudio.setState((s) => ({ form: { ...s.form, [key]: value } }));
  revalidate();
}
