// Tick values and labels for every chart's numeric axis. Charts give recharts their ticks (interval
// 0), so the labels are made knowing all the ticks of the axis: each axis shows the fewest digits
// that still tell every tick from its neighbours (a fixed precision printed 5.16, 5.16, 5.15, 5.15
// for ticks 0.005 apart).
import { niceTicks } from '../store/trainingSlice';

/** A numeric axis: its domain, ticks, a label per tick and the width its labels need. */
export interface Axis {
  domain: [number, number];
  ticks: number[];
  format: (v: number) => string;
  /** Pixels for the longest label (recharts' YAxis width), at least `minWidth`. */
  width: number;
}

export interface LabelStyle {
  /** 'fixed' (5.16) or 'exponential' (2e-4); by default chosen from the ticks' magnitude. */
  notation?: 'fixed' | 'exponential';
  /** Digits to show at least: decimals (fixed) or digits after the point (exponential). */
  minDigits?: number;
}

const MAX_DIGITS = 20; // toFixed's and toExponential's limit

function notationFor(ticks: readonly number[]): 'fixed' | 'exponential' {
  const largest = Math.max(...ticks.map(Math.abs));
  return largest >= 1e5 || (largest > 0 && largest < 1e-3) ? 'exponential' : 'fixed';
}

/**
 * The labeller of an axis with these ticks: the fewest digits (from `minDigits`) at which every
 * tick gets its own label, each within half the closest ticks' gap of its tick (so 1.4 and 1.6
 * are not labelled 1 and 2). In exponential notation 0 is labelled 0.
 */
export function tickFormatter(
  ticks: readonly number[],
  style: LabelStyle = {},
): (v: number) => string {
  const values = [...new Set(ticks.filter(Number.isFinite))].sort((a, b) => a - b);
  const notation = style.notation ?? (values.length > 0 ? notationFor(values) : 'fixed');
  const print = (digits: number) => (v: number) => {
    if (v === 0) return notation === 'fixed' ? (0).toFixed(digits) : '0'; // and -0 too
    return notation === 'fixed' ? v.toFixed(digits) : v.toExponential(digits);
  };
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < values.length; i++) gap = Math.min(gap, values[i] - values[i - 1]);
  const fits = (label: (v: number) => string) =>
    new Set(values.map(label)).size === values.length &&
    values.every((v) => Math.abs(Number(label(v)) - v) < gap / 2);
  for (let digits = style.minDigits ?? 0; digits < MAX_DIGITS; digits++) {
    if (fits(print(digits))) return print(digits);
  }
  return print(MAX_DIGITS);
}

// About 7 px a character at the charts' 12 px tick font, plus the tick mark and a gap.
const labelWidth = (labels: readonly string[]) =>
  12 + 7 * Math.max(0, ...labels.map((s) => s.length));

function axisOf(ticks: number[], style: LabelStyle, minWidth: number): Axis {
  const format = tickFormatter(ticks, style);
  return {
    domain: [ticks[0], ticks[ticks.length - 1]],
    ticks,
    format,
    width: Math.max(minWidth, labelWidth(ticks.map(format))),
  };
}

/** About `count` round ticks (steps of 1, 2 or 5 times a power of ten) covering [lo, hi]. */
export function linearAxis(
  lo: number,
  hi: number,
  count: number,
  style: LabelStyle = {},
  minWidth = 44,
): Axis {
  return axisOf(niceTicks(lo, hi, count), style, minWidth);
}

/** Powers of ten covering [lo, hi] (both above 0), for a log-scale axis. */
export function logAxis(lo: number, hi: number, minWidth = 44): Axis {
  const first = Math.floor(Math.log10(lo));
  const last = Math.max(first + 1, Math.ceil(Math.log10(hi)));
  const ticks = Array.from({ length: last - first + 1 }, (_, i) => Number(`1e${first + i}`));
  return axisOf(ticks, { notation: 'exponential' }, minWidth);
}

/**
 * An axis over x = log10 of a positive value (the LFR histograms bin scores by their logarithm):
 * about `count` round ticks of x, each labelled with its value 10^x, at the fewest digits that
 * tell every value from its neighbours.
 */
export function log10ValueAxis(lo: number, hi: number, count: number, minWidth = 40): Axis {
  const ticks = niceTicks(lo, hi, count);
  const valueLabel = tickFormatter(ticks.map((x) => 10 ** x));
  const format = (x: number) => valueLabel(10 ** x);
  return {
    domain: [ticks[0], ticks[ticks.length - 1]],
    ticks,
    format,
    width: Math.max(minWidth, labelWidth(ticks.map(format))),
  };
}

/** [lo, hi] of the finite values; [0, 1] when there are none. */
export function finiteRange(values: readonly number[]): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}
