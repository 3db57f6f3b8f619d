import { describe, expect, it } from 'vitest';
import { lossesExport, lossesJson } from './lossesExport';

const history = {
  steps: [
    { step: 1, loss: Math.fround(5.5451), lr: 0.0003, gradNorm: Math.fround(1.25) },
    { step: 2, loss: Math.fround(5.1), lr: 0.0006, gradNorm: Math.fround(0.75) },
  ],
  val: [{ step: 2, loss: Math.fround(5.2), perplexity: Math.exp(Math.fround(5.2)) }],
};

describe('lossesJson', () => {
  it('writes the history by column, index by index', () => {
    expect(lossesExport(history)).toEqual({
      step: [1, 2],
      loss: [Math.fround(5.5451), Math.fround(5.1)],
      lr: [0.0003, 0.0006],
      gradNorm: [1.25, 0.75],
      val: { step: [2], loss: [Math.fround(5.2)], perplexity: [Math.exp(Math.fround(5.2))] },
    });
  });

  it('puts one value on a line, and reads back to the same f32 losses bit for bit', () => {
    const text = lossesJson(history);
    const lines = text.trim().split('\n');
    expect(lines).toContain(`  ${Math.fround(5.5451)},`);
    expect(lines.filter((l) => /^\s+[-\d]/.test(l))).toHaveLength(11);
    const back = JSON.parse(text);
    expect(back.loss.map((v: number) => Object.is(v, Math.fround(v)))).toEqual([true, true]);
    expect(back).toEqual(lossesExport(history));
  });

  it('writes empty columns before the first step', () => {
    expect(JSON.parse(lossesJson({ steps: [], val: [] }))).toEqual({
      step: [],
      loss: [],
      lr: [],
      gradNorm: [],
      val: { step: [], loss: [], perplexity: [] },
    });
  });
});
