import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PRESETS } from '../model/config';
import { defaultFinetuneForm, type FinetuneFieldKey } from './finetuneSlice';
import { defaultLfrForm, type LfrFieldKey } from './lfrSlice';
import { applySettingsUrl, settingsQuery, watchSettingsUrl } from './linkActions';
import { editSetting, selectPreset } from './settingsActions';
import { FIELDS, type FieldKey, formFromPreset } from './settingsForm';
import { resetStudio, useStudio } from './store';
import {
  applyLinkedForms,
  type Classroom,
  fixedFields,
  isHidden,
  isLocked,
  isSectionHidden,
  LFR_URL_KEYS,
  LFR_URL_RULES,
  type LinkedRun,
  LORA_URL_RULES,
  MAX_LINK_MESSAGES,
  NO_CLASSROOM,
  type NumberRule,
  parseSettingsUrl,
  serializeSettingsUrl,
  URL_KEYS,
  URL_RULES,
} from './urlSettings';

const tiny = PRESETS[0];

/** A value the rule allows that differs from `current`. */
function allowedOtherThan(rule: NumberRule, current: string): string {
  const candidates = [rule.min, rule.min + 1, rule.max - 1, rule.max, rule.min + 0.5, 0.5];
  const v = candidates.find(
    (c) =>
      c !== Number(current) &&
      (!rule.integer || Number.isInteger(c)) &&
      (rule.above ? c > rule.min : c >= rule.min) &&
      (rule.below ? c < rule.max : c <= rule.max),
  )!;
  return String(v);
}

function run(overrides: Partial<LinkedRun> = {}): LinkedRun {
  return {
    presetId: 'tiny',
    tokenizer: tiny.tokenizer,
    form: formFromPreset(tiny),
    dataChoice: 'openwebtext',
    lfrForm: defaultLfrForm(),
    finetuneForm: defaultFinetuneForm(),
    classroom: NO_CLASSROOM,
    ...overrides,
  };
}

const classroom = (hidden: string[], locked: string[] = []): Classroom => ({
  hidden,
  locked,
  messages: [],
});

describe('serializing the settings into a link', () => {
  it('writes only the preset for an unedited preset', () => {
    expect(serializeSettingsUrl(run())).toBe('preset=tiny');
  });

  it('writes the fields that differ from the preset, as numbers, with readable keys', () => {
    const form = { ...formFromPreset(tiny), learningRate: '1e-3', maxSteps: '0200', seed: '42' };
    // 200 is the preset's step count: only lr and seed differ.
    expect(serializeSettingsUrl(run({ form }))).toBe('preset=tiny&lr=0.001&seed=42');
  });

  it('leaves out a field that is not a number yet, as while typing', () => {
    const form = { ...formFromPreset(tiny), learningRate: '', warmupSteps: '1e' };
    expect(serializeSettingsUrl(run({ form }))).toBe('preset=tiny');
  });

  it('writes the tokenizer and data when they differ, and the classroom lists with plain commas', () => {
    const query = serializeSettingsUrl(
      run({
        tokenizer: 'gpt2',
        dataChoice: 'user',
        classroom: classroom(['model', 'optimizer', 'lfr'], ['lr', 'seed']),
      }),
    );
    expect(query).toBe(
      'preset=tiny&tokenizer=gpt2&data=user&hide=model,optimizer,lfr&lock=lr,seed',
    );
  });

  it('round-trips every field: parse(serialize(run)) gives back what differed', () => {
    const medium = PRESETS[2];
    // Every field set to a value its rule allows and different from the preset's.
    const form = formFromPreset(medium);
    for (const f of FIELDS) form[f.key] = allowedOtherThan(URL_RULES[f.key], form[f.key]);
    const original = run({
      presetId: 'medium',
      tokenizer: 'byte',
      form,
      dataChoice: 'user',
      classroom: classroom(['gpu', 'checks'], ['model']),
    });
    const parsed = parseSettingsUrl(`?${serializeSettingsUrl(original)}`);
    expect(parsed.messages).toEqual([]);
    expect(parsed.preset).toBe('medium');
    expect(parsed.tokenizer).toBe('byte');
    expect(parsed.data).toBe('user');
    expect(parsed.form).toEqual(form);
    expect(parsed.hide).toEqual(['gpu', 'checks']);
    expect(parsed.lock).toEqual(['model']);
  });

  it('round-trips every LFR and LoRA field and choice, and applies them back to the forms', () => {
    const lfr = defaultLfrForm();
    const ft = defaultFinetuneForm();
    for (const k of Object.keys(LFR_URL_RULES) as LfrFieldKey[])
      lfr.values[k] = allowedOtherThan(LFR_URL_RULES[k], lfr.values[k]);
    for (const k of Object.keys(LORA_URL_RULES) as FinetuneFieldKey[])
      ft.values[k] = allowedOtherThan(LORA_URL_RULES[k], ft.values[k]);
    const lfrForm = { ...lfr, schedule: 'lfr' as const };
    const finetuneForm = {
      ...ft,
      text: 'user' as const,
      optimizer: 'rite' as const,
      order: 'sequential' as const,
      escapedMass: false,
      matrix: 'general' as const,
      targets: ['mlp.c_fc' as const, 'attn.c_attn' as const],
    };
    const query = serializeSettingsUrl(run({ lfrForm, finetuneForm }));
    expect(query).toMatch(
      /^preset=tiny&schedule=lfr&lfr_p1=\d.*&lora_text=user&lora_optimizer=rite&lora_order=sequential&lora_escaped_mass=off&lora_s=general&lora_targets=mlp\.c_fc,attn\.c_attn&lora_rank=/,
    );
    const parsed = parseSettingsUrl(query);
    expect(parsed.messages).toEqual([]);
    expect(applyLinkedForms(defaultLfrForm(), defaultFinetuneForm(), parsed)).toEqual({
      lfrForm,
      finetuneForm,
    });
  });
});

describe('parsing a link', () => {
  it('reads the TensorFlow Playground style example', () => {
    const url = parseSettingsUrl('?preset=tiny&lr=0.001&steps=200&seed=42');
    expect(url).toEqual({
      preset: 'tiny',
      form: { learningRate: '0.001', maxSteps: '200', seed: '42' },
      lfr: {},
      lora: {},
      choices: {},
      hide: [],
      lock: [],
      messages: [],
    });
  });

  it('reads every field by its key', () => {
    const form = formFromPreset(tiny);
    const url = parseSettingsUrl(FIELDS.map((f) => `${URL_KEYS[f.key]}=${form[f.key]}`).join('&'));
    expect(url.messages).toEqual([]);
    expect(Object.keys(url.form).sort()).toEqual(FIELDS.map((f) => f.key).sort());
  });

  it('names an unknown key and what the studio reads, and still applies the rest', () => {
    const url = parseSettingsUrl('?learning_rate=0.1&steps=5');
    expect(url.form).toEqual({ maxSteps: '5' });
    expect(url.messages).toHaveLength(1);
    expect(url.messages[0]).toMatch(
      /^Link setting learning_rate=0\.1 ignored: the studio does not know "learning_rate"\. It reads preset, tokenizer, data, n_layer, .*lr, .* hide or lock\.$/,
    );
  });

  it.each(FIELDS.map((f) => [URL_KEYS[f.key], f.key] as const))(
    '%s: a word, an empty value, infinity and values past either end are refused by name',
    (key, field) => {
      const rule = URL_RULES[field];
      const below = rule.above ? rule.min : rule.min - 1;
      const above = rule.below ? rule.max : rule.max + 1;
      const bad = ['abc', '', 'Infinity', '1e400', String(below), String(above)];
      if (rule.integer) bad.push(String(rule.min + 0.5));
      // Another field in the same link, which still applies.
      const [otherKey, other]: [string, FieldKey] =
        field === 'seed' ? ['steps', 'maxSteps'] : ['seed', 'seed'];
      for (const value of bad) {
        const url = parseSettingsUrl(`${key}=${encodeURIComponent(value)}&${otherKey}=7`);
        expect(url.form[field], `${key}=${value}`).toBeUndefined();
        expect(url.messages, `${key}=${value}`).toHaveLength(1);
        expect(url.messages[0]).toMatch(
          new RegExp(`^Link setting ${key}=.* ignored: ${key} takes a (whole )?number .*\\d\\.$`),
        );
        expect(url.form[other]).toBe('7');
      }
    },
  );

  it('says what each rule allows', () => {
    const messages = ['n_layer=0', 'lr=0', 'beta1=1', 'wd=-0.1', 'seed=4294967296'].map(
      (q) => parseSettingsUrl(q).messages[0],
    );
    expect(messages).toEqual([
      'Link setting n_layer=0 ignored: n_layer takes a whole number from 1 to 48.',
      'Link setting lr=0 ignored: lr takes a number above 0 and at most 1.',
      'Link setting beta1=1 ignored: beta1 takes a number above 0 and below 1.',
      'Link setting wd=-0.1 ignored: wd takes a number from 0 to 10.',
      'Link setting seed=4294967296 ignored: seed takes a whole number from 0 to 4294967295.',
    ]);
  });

  it('accepts the ends of each range', () => {
    for (const f of FIELDS) {
      const rule = URL_RULES[f.key];
      const ends = [
        rule.above ? rule.min + 1e-6 : rule.min,
        rule.below ? rule.max - 1e-6 : rule.max,
      ];
      for (const v of ends) {
        const url = parseSettingsUrl(`${URL_KEYS[f.key]}=${v}`);
        expect(url.messages, `${URL_KEYS[f.key]}=${v}`).toEqual([]);
        expect(url.form[f.key]).toBe(String(v));
      }
    }
  });

  it('refuses a preset, tokenizer or data choice it does not have, naming the choices', () => {
    const url = parseSettingsUrl('preset=huge&tokenizer=bpe&data=wiki&lr=0.002');
    expect(url.preset).toBeUndefined();
    expect(url.tokenizer).toBeUndefined();
    expect(url.data).toBeUndefined();
    expect(url.form).toEqual({ learningRate: '0.002' });
    expect(url.messages).toEqual([
      'Link setting preset=huge ignored: preset takes tiny, small or medium.',
      'Link setting tokenizer=bpe ignored: tokenizer takes byte or gpt2.',
      'Link setting data=wiki ignored: data takes openwebtext or user.',
    ]);
  });

  it('keeps the known names of hide and lock lists and names each unknown one', () => {
    const url = parseSettingsUrl('hide=model,charts,model,,optimizer&lock=lr,sampling');
    expect(url.hide).toEqual(['model', 'optimizer']);
    expect(url.lock).toEqual(['lr']);
    expect(url.messages).toHaveLength(2);
    expect(url.messages[0]).toMatch(
      /^Link setting hide=charts ignored: "charts" is not something the studio can hide\. hide takes a comma list of preset, .*sampling, gpu or checks\.$/,
    );
    // Sampling can be hidden but not locked.
    expect(url.messages[1]).toMatch(
      /^Link setting lock=sampling ignored: .* lock takes a comma list of preset, .*lfr or lora\.$/,
    );
  });

  it('names a bad LFR or LoRA value, choice or target list with what is allowed', () => {
    const url = parseSettingsUrl(
      'lfr_s1=100&lora_rank=64&lora_optimizer=sgd&lora_targets=attn.c_attn,wte&lora_lr=0.01',
    );
    expect(url.lora).toEqual({ lr: '0.01' });
    expect(url.lfr).toEqual({});
    expect(url.messages).toEqual([
      'Link setting lfr_s1=100 ignored: lfr_s1 takes a number of at least 0 and below 100.',
      'Link setting lora_rank=64 ignored: lora_rank takes a whole number from 1 to 32.',
      'Link setting lora_optimizer=sgd ignored: lora_optimizer takes both, adam or rite.',
      'Link setting lora_targets=attn.c_attn,wte ignored: lora_targets takes a comma list of attn.c_attn, attn.c_proj, mlp.c_fc or mlp.c_proj.',
    ]);
  });

  it('uses the last of a repeated key and says so, also when the last is bad', () => {
    expect(parseSettingsUrl('lr=0.1&lr=0.2')).toMatchObject({
      form: { learningRate: '0.2' },
      messages: ['Link setting lr is given more than once: the last one counts.'],
    });
    const bad = parseSettingsUrl('lr=0.1&lr=abc');
    expect(bad.form).toEqual({});
    expect(bad.messages).toHaveLength(2);
  });
});

describe('classroom lists', () => {
  it('hides or locks every LFR and LoRA control through its section', () => {
    const c = classroom(['lfr'], ['lora']);
    for (const name of ['schedule', 'lfr_p1', 'lfr_blocks']) {
      expect(isHidden(c, name)).toBe(true);
      expect(isLocked(c, name)).toBe(false);
    }
    for (const name of ['lora_rank', 'lora_lr', 'lora_targets', 'lora_s', 'lora_demo_steps'])
      expect(isLocked(c, name)).toBe(true);
    expect(isLocked(c, 'lr')).toBe(false);
    expect(isSectionHidden(classroom(['schedule', ...Object.values(LFR_URL_KEYS)]), 'lfr')).toBe(
      true,
    );
  });

  it('hides or locks a control by its name or by a section it is in', () => {
    const c = classroom(['optimizer', 'gpu'], ['model', 'seed']);
    expect(isHidden(c, 'lr')).toBe(true);
    expect(isHidden(c, 'beta2')).toBe(true);
    expect(isHidden(c, 'steps')).toBe(false);
    expect(isHidden(c, 'gpu')).toBe(true);
    expect(isLocked(c, 'n_layer')).toBe(true);
    expect(isLocked(c, 'tokenizer')).toBe(true);
    expect(isLocked(c, 'seed')).toBe(true);
    expect(isLocked(c, 'lr')).toBe(false);
  });

  it('hides a section when it or every control in it is hidden', () => {
    expect(isSectionHidden(classroom(['model']), 'model')).toBe(true);
    expect(isSectionHidden(classroom(['optimizer']), 'training')).toBe(false);
    const all = ['tokenizer', 'n_layer', 'n_head', 'n_embd', 'block_size'];
    expect(isSectionHidden(classroom(all), 'model')).toBe(true);
    expect(isSectionHidden(classroom(all.slice(1)), 'model')).toBe(false);
  });

  it('fixes the locked and the hidden fields', () => {
    expect(fixedFields(classroom(['evaluation'], ['lr']))).toEqual([
      'learningRate',
      'evalInterval',
      'evalBatches',
    ]);
  });
});

describe('the link in the studio', () => {
  beforeEach(resetStudio);
  afterEach(() => {
    vi.useRealTimers();
    resetStudio();
  });

  it('applies a classroom link: its preset, then its values, hidden and locked lists and messages', () => {
    applySettingsUrl('?preset=small&steps=5&lr=0.002&hide=model&lock=lr&n_head=x');
    const s = useStudio.getState();
    expect(s.presetId).toBe('small');
    expect(s.tokenizer).toBe('gpt2');
    expect(s.form).toEqual({ ...formFromPreset(PRESETS[1]), maxSteps: '5', learningRate: '0.002' });
    expect(s.classroom).toEqual({
      hidden: ['model'],
      locked: ['lr'],
      messages: ['Link setting n_head=x ignored: n_head takes a whole number from 1 to 64.'],
    });
    expect(s.settingsErrors).toEqual([]);
  });

  it('applies the LFR and LoRA values and choices a link sets', () => {
    applySettingsUrl('?schedule=lfr&lfr_s1=25&lora_lr=0.02&lora_optimizer=adam&lock=lfr,lora');
    const s = useStudio.getState();
    expect(s.lfrForm).toEqual({
      schedule: 'lfr',
      values: { ...defaultLfrForm().values, s1: '25' },
    });
    expect(s.finetuneForm).toEqual({
      ...defaultFinetuneForm(),
      optimizer: 'adam',
      values: { ...defaultFinetuneForm().values, lr: '0.02' },
    });
    expect(settingsQuery()).toBe(
      'preset=tiny&schedule=lfr&lfr_s1=25&lora_optimizer=adam&lora_lr=0.02&lock=lfr,lora',
    );
  });

  it('keeps what the link fixed when the student picks another preset', () => {
    applySettingsUrl('?preset=small&lr=0.002&hide=model&lock=lr');
    selectPreset('tiny');
    const s = useStudio.getState();
    const small = formFromPreset(PRESETS[1]);
    expect(s.form.learningRate).toBe('0.002');
    expect(s.form.nEmbd).toBe(small.nEmbd);
    expect(s.tokenizer).toBe('gpt2');
    // Not fixed: the tiny preset's.
    expect(s.form.maxSteps).toBe(formFromPreset(tiny).maxSteps);
  });

  it('describes the current run as a query that applies back to the same form', () => {
    applySettingsUrl('?preset=tiny&steps=5&hide=model&lock=lr');
    editSetting('seed', '7');
    const query = settingsQuery();
    expect(query).toBe('preset=tiny&steps=5&seed=7&hide=model&lock=lr');
    const form = useStudio.getState().form;
    resetStudio();
    applySettingsUrl(query);
    expect(useStudio.getState().form).toEqual(form);
  });

  it('writes the query once the settings stop changing, and not for other state', () => {
    vi.useFakeTimers();
    const write = vi.fn();
    const stop = watchSettingsUrl(write, 300);
    useStudio.setState({ historyVersion: 5 });
    vi.advanceTimersByTime(1000);
    expect(write).not.toHaveBeenCalled();
    editSetting('learningRate', '0.0');
    vi.advanceTimersByTime(100);
    editSetting('learningRate', '0.005');
    vi.advanceTimersByTime(299);
    expect(write).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(write.mock.calls).toEqual([['preset=tiny&lr=0.005']]);
    stop();
    editSetting('learningRate', '0.006');
    vi.advanceTimersByTime(1000);
    expect(write).toHaveBeenCalledTimes(1);
  });
});

describe('a link of 100,000 bad parts (issue 14)', () => {
  it('says the first ones and summarises the rest in one line, in well under 2 s', () => {
    const names = Array.from({ length: 100_000 }, (_, i) => `panel${i}`).join(',');
    const started = performance.now();
    const url = parseSettingsUrl(`?hide=${names}&hide=${'x'.repeat(1_000_000)}`);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(url.messages).toHaveLength(MAX_LINK_MESSAGES);
    expect(url.messages[0]).toMatch(/^Link setting hide=panel0 ignored: "panel0" is not something/);
    expect(url.messages[MAX_LINK_MESSAGES - 1]).toBe(
      '…and 99,993 more problems with this link, ignored in the same way.',
    );
    expect(url.hide).toEqual([]);
  });

  it('quotes at most 40 characters of a long value', () => {
    const url = parseSettingsUrl(`?lr=${'9'.repeat(100_000)}`);
    expect(url.messages).toEqual([
      `Link setting lr=${'9'.repeat(40)}… ignored: lr takes a number above 0 and at most 1.`,
    ]);
  });

  it('keeps "__proto__" and inherited names out: they are unknown keys', () => {
    const url = parseSettingsUrl('?__proto__=1&constructor=2&hide=toString');
    expect(url.messages).toHaveLength(3);
    expect(Object.getPrototypeOf(url.form)).toBe(Object.prototype);
    expect(url.hide).toEqual([]);
  });
});
