import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LFR_SETTINGS } from '../../lfr/settings';
import { FIELDS } from '../../store/settingsForm';
import { type HelpKey, type LoraHelpKey, SETTINGS_HELP } from './settingsHelp';

const LORA_KEYS: LoraHelpKey[] = [
  'loraRank',
  'loraAlpha',
  'loraTargets',
  'loraOptimizer',
  'escapedMass',
];
const LFR_KEYS = Object.keys(DEFAULT_LFR_SETTINGS) as HelpKey[];
/** Controls that take a number with a sensible range; the rest are choices. */
const NUMBERS: HelpKey[] = [
  ...FIELDS.map((f) => f.key).filter((k) => k !== 'seed'),
  ...LFR_KEYS,
  'loraRank',
  'loraAlpha',
];

describe('settings help', () => {
  it('explains every field of the training form, its pickers, LFR and LoRA', () => {
    const wanted: HelpKey[] = [
      ...FIELDS.map((f) => f.key),
      'preset',
      'tokenizer',
      'data',
      ...LFR_KEYS,
      ...LORA_KEYS,
    ];
    expect(wanted.filter((k) => SETTINGS_HELP[k] === undefined)).toEqual([]);
    expect(Object.keys(SETTINGS_HELP).sort()).toEqual([...wanted].sort());
  });

  it('says what each does and its usual range', () => {
    for (const [key, help] of Object.entries(SETTINGS_HELP)) {
      expect(help.label.length, key).toBeGreaterThan(0);
      expect(help.what.length, key).toBeGreaterThan(30);
      expect(help.range.length, key).toBeGreaterThan(0);
    }
  });

  it('says what goes wrong when a number is too big or too small, and what a choice costs', () => {
    for (const [key, help] of Object.entries(SETTINGS_HELP) as [
      HelpKey,
      (typeof SETTINGS_HELP)[HelpKey],
    ][]) {
      if (NUMBERS.includes(key)) {
        expect(help.tooBig, key).toBeTruthy();
        expect(help.tooSmall, key).toBeTruthy();
      } else {
        expect(help.tradeOff, key).toBeTruthy();
      }
    }
  });

  it('typesets every formula with KaTeX', () => {
    const formulas = Object.entries(SETTINGS_HELP).filter(([, h]) => h.formula);
    expect(formulas.length).toBeGreaterThan(15);
    for (const [key, help] of formulas) {
      const html = katex.renderToString(help.formula!.tex, {
        displayMode: true,
        throwOnError: true,
      });
      expect(html, key).toContain('<math');
      expect(help.formula!.where.length, key).toBeGreaterThan(10);
    }
  });

  it('has the formulas the studio teaches: AdamW, the cosine schedule, perplexity, 12 L C^2', () => {
    const tex = (k: HelpKey) => SETTINGS_HELP[k].formula?.tex ?? '';
    expect(tex('learningRate')).toContain(String.raw`\beta_1 m_{t-1}`);
    expect(tex('minLearningRate')).toContain(String.raw`\cos`);
    expect(tex('evalInterval')).toContain(String.raw`\text{perplexity} = e^{`);
    expect(tex('nEmbd')).toContain('12\\,L\\,C^2');
  });
});
