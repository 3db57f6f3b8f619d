import { describe, expect, it } from 'vitest';
import type { InvarianceStep } from '../worker/protocol';
import type { InvarianceView } from './finetuneSlice';
import { appendInvarianceStep, streamedStep } from './invarianceSteps';

const running: InvarianceView = { status: 'running', series: [], error: undefined };
const step = (kind: 'adam' | 'rite', n: number, diff: number): InvarianceStep => ({
  kind,
  step: n,
  diff,
  cond: 10,
});

describe('the invariance demo grows step by step', () => {
  it('draws each step as it arrives: Adam first, then RITE, each series in step order', () => {
    let view = running;
    const seen: number[] = [];
    for (const s of [step('adam', 1, 0.5), step('adam', 2, 0.6), step('rite', 1, 1e-7)]) {
      view = streamedStep(view, s);
      seen.push(view.series.reduce((n, x) => n + x.diffs.length, 0));
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(view.series).toEqual([
      { kind: 'adam', diffs: [0.5, 0.6], cond: 10 },
      { kind: 'rite', diffs: [1e-7], cond: 10 },
    ]);
  });

  it('keeps the previous series objects unchanged (a new list each step, so the chart redraws)', () => {
    const one = streamedStep(running, step('adam', 1, 0.5));
    const two = streamedStep(one, step('adam', 2, 0.6));
    expect(one.series[0].diffs).toEqual([0.5]);
    expect(two.series).not.toBe(one.series);
  });

  it('ignores a repeated or out-of-order step instead of drawing it twice or in the wrong place', () => {
    const one = streamedStep(running, step('adam', 1, 0.5));
    expect(streamedStep(one, step('adam', 1, 0.5))).toBe(one);
    expect(streamedStep(one, step('adam', 3, 0.7))).toBe(one);
    expect(streamedStep(one, step('rite', 2, 1e-7))).toBe(one);
  });

  it('ignores a step that arrives after the reply ended the demo (the reply had every series)', () => {
    const done: InvarianceView = {
      status: 'done',
      series: [{ kind: 'adam', diffs: [0.5], cond: 10 }],
      error: undefined,
    };
    expect(streamedStep(done, step('adam', 2, 0.6))).toBe(done);
    expect(streamedStep({ ...done, status: 'failed' }, step('rite', 1, 1e-7)).series).toEqual(
      done.series,
    );
  });

  it('appends to a series whatever the demo state (the replay feeds recorded steps this way)', () => {
    expect(appendInvarianceStep([], step('rite', 1, 2e-7))).toEqual([
      { kind: 'rite', diffs: [2e-7], cond: 10 },
    ]);
  });
});
