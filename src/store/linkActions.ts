// The settings link: a page's query string into the form (and the classroom's locks), and back.

import { editSetting, revalidate, selectPreset, selectTokenizer } from './settingsActions';
import type { FieldKey } from './settingsForm';
import { useStudio } from './store';
import {
  applyLinkedForms,
  type Classroom,
  parseSettingsUrl,
  serializeSettingsUrl,
} from './urlSettings';
import { chooseData } from './userDataActions';

/**
 * Applies a link's settings (the page's query string) on top of its preset; the classroom's
 * lists come last, so the preset's values reach the fields they fix. Bad parts become messages.
 */
export function applySettingsUrl(query: string): void {
  const url = parseSettingsUrl(query);
  if (url.preset) selectPreset(url.preset);
  if (url.tokenizer) selectTokenizer(url.tokenizer);
  for (const [key, value] of Object.entries(url.form) as [FieldKey, string][]) {
    editSetting(key, value);
  }
  if (url.data) void chooseData(url.data);
  const s = useStudio.getState();
  useStudio.setState({
    ...applyLinkedForms(s.lfrForm, s.finetuneForm, url),
    classroom: { hidden: url.hide, locked: url.lock, messages: url.messages },
  });
  revalidate();
}

/** The query string describing the current run and classroom (or `classroom`), without "?". */
export function settingsQuery(classroom?: Classroom): string {
  const s = useStudio.getState();
  return serializeSettingsUrl({
    presetId: s.presetId,
    tokenizer: s.tokenizer,
    form: s.form,
    dataChoice: s.dataChoice,
    lfrForm: s.lfrForm,
    finetuneForm: s.finetuneForm,
    classroom: classroom ?? s.classroom,
  });
}

/**
 * Calls `write` with the new query `delayMs` after the settings last changed (typing a number
 * writes once, not per key); progress events and other state do not. Returns the unsubscribe.
 */
export function watchSettingsUrl(write: (query: string) => void, delayMs = 300): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const unsubscribe = useStudio.subscribe((s, prev) => {
    if (
      s.presetId === prev.presetId &&
      s.tokenizer === prev.tokenizer &&
      s.form === prev.form &&
      s.dataChoice === prev.dataChoice &&
      s.lfrForm === prev.lfrForm &&
      s.finetuneForm === prev.finetuneForm &&
      s.classroom === prev.classroom
    )
      return;
    clearTimeout(timer);
    timer = setTimeout(() => write(settingsQuery()), delayMs);
  });
  return () => {
    clearTimeout(timer);
    unsubscribe();
  };
}
