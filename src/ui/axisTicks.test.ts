import { describe, expect, it } from 'vitest';
import { linearAxis, log10ValueAxis, logAxis, tickFormatter } from './axisTicks';

// The first way the labels misstate the ticks: two ticks sharing a label, or a label further from
// its tick than half the gap to the next one; undefined when there is none.
function misstated(ticks: readonly number[], label: (v: number) => string): string | undefined {
  const gap = Math.min(...ticks.slice(1).map((t, i) => t - ticks[i]));
  const seen = new Map<string, number>();
  for (const t of ticks) {
    const text = label(t);
    const other = seen.get(text);
    if (other !== undefined) return `${other} and ${t} are both labelled ${text}`;
    seen.set(text, t);
    if (!(Math.abs(Number(text) - t) < gap / 2)) return `${t} is labelled ${text}`;
  }
  return undefined;
}

// Axes over ranges 1e-6 to 1e4 wide (four widths a decade, each with a 1.7x and 3.1x variant) at
// centres from large negative to large positive, with 3, 5 and 6 ticks: the charts' counts.
function* axes() {
  const centres = [0, 5.16, -3.7, 0.012, 123.456, -9876.5, 4.2e5];
  for (let k = -24; k <= 16; k++) {
    for (const f of [1, 1.7, 3.1]) {
      const width = f * 10 ** (k / 4);
      for (const c of centres) {
        for (const count of [3, 5, 6]) yield { lo: c, hi: c + width, count };
      }
    }
  }
}

describe('axis tick labels', () => {
  it('tell every tick apart, each within half a step, on axes 1e-6 to 1e4 wide', () => {
    let checked = 0;
    for (const { lo, hi, count } of axes()) {
      const axis = linearAxis(lo, hi, count, { minDigits: 2 });
      expect(new Set(axis.ticks).size, `ticks of [${lo}, ${hi}]`).toBe(axis.ticks.length);
      expect(misstated(axis.ticks, axis.format), `[${lo}, ${hi}] ${count} ticks`).toBeUndefined();
      checked++;
    }
    expect(checked).toBeGreaterThan(2000);
  });

  it('catch a fixed precision, which labels ticks 0.005 apart 5.16, 5.16, 5.15', () => {
    const fixed = (v: number) => v.toFixed(2);
    const caught = [...axes()].filter(({ lo, hi, count }) =>
      misstated(linearAxis(lo, hi, count).ticks, fixed),
    );
    expect(caught.length).toBeGreaterThan(100);
    const issue = [5.15, 5.155, 5.16, 5.165];
    expect(new Set(issue.map(fixed)).size).toBeLessThan(issue.length);
    expect(misstated(issue, fixed)).toBeDefined();
  });

  it('label the fine-tune chart case with the digits it needs, and no more', () => {
    const label = tickFormatter([5.15, 5.155, 5.16, 5.165], { minDigits: 2 });
    expect([5.15, 5.155, 5.16, 5.165].map(label)).toEqual(['5.150', '5.155', '5.160', '5.165']);
    const coarse = tickFormatter([3.5, 4, 4.5, 5], { minDigits: 2 });
    expect([3.5, 4].map(coarse)).toEqual(['3.50', '4.00']);
  });

  it('label 1.4 and 1.6 with a decimal, not as 1 and 2', () => {
    const label = tickFormatter([1.4, 1.6]);
    expect([1.4, 1.6].map(label)).toEqual(['1.4', '1.6']);
  });

  it('write small and large magnitudes as exponents, and 0 as 0', () => {
    const lr = linearAxis(0, 1.5e-4, 3, { notation: 'exponential' });
    expect(lr.ticks.map(lr.format)).toEqual(['0', '1e-4', '2e-4']);
    const small = linearAxis(0.000101, 0.000104, 4);
    expect(misstated(small.ticks, small.format)).toBeUndefined();
    expect(small.format(small.ticks[0])).toMatch(/e-4$/);
    const large = linearAxis(2e6, 2.3e6, 4);
    expect(large.ticks.map(large.format)).toEqual(['2.0e+6', '2.1e+6', '2.2e+6', '2.3e+6']);
  });

  it('give a log axis powers of ten covering the data, each labelled once', () => {
    const axis = logAxis(3e-7, 2e-3);
    expect(axis.ticks.map(axis.format)).toEqual(['1e-7', '1e-6', '1e-5', '1e-4', '1e-3', '1e-2']);
    expect(axis.domain).toEqual([1e-7, 1e-2]);
  });

  it('widen the axis for long labels only', () => {
    expect(linearAxis(3.2, 5.6, 5, { minDigits: 2 }).width).toBe(44);
    expect(linearAxis(5.1600001, 5.1600002, 5, { minDigits: 2 }).width).toBeGreaterThan(44);
  });

  // Mutant caught: the histograms' old labels, 10^x at a fixed 3 significant digits.
  it('label a log10 axis by its values, each distinct and close, for value ranges 1e-6 to 1e4 wide', () => {
    const fixed = (x: number) => (10 ** x).toPrecision(3);
    let fixedFailures = 0;
    for (const center of [1.5, 5.155, 40, 256, 3000]) {
      for (let e = -6; e <= 4; e++) {
        const [lo, hi] = [center, center + 10 ** e].map(Math.log10);
        const axis = log10ValueAxis(lo, hi, 5);
        const values = axis.ticks.map((x) => 10 ** x);
        const label = (v: number) => axis.format(Math.log10(v));
        expect(misstated(values, label), `[${center}, +1e${e}]`).toBeUndefined();
        if (misstated(values, (v) => fixed(Math.log10(v))) !== undefined) fixedFailures++;
      }
    }
    expect(fixedFailures).toBeGreaterThan(0);
  });
});
