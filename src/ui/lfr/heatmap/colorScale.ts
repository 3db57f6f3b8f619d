// Colours of the block heatmap: a score (perplexity) on a log scale into a 256-entry viridis LUT,
// packed as RGBA words ready to store into ImageData through a Uint32Array view.
import { NAN_VISIT } from '../../../lfr/scores';

/** Entries of the colour table; a score maps to an index in [0, LUT_SIZE). */
export const LUT_SIZE = 256;

/** Index of a cell with no visit: drawn as background. */
export const BLANK = -1;

/** Index of a visit that scored NaN (NAN_VISIT in the grid): drawn in NAN_COLOR. */
export const NAN_INDEX = -2;

/** A NaN score's colour: a pink that is neither on the ramp nor the dropped red. */
export const NAN_COLOR: readonly [number, number, number] = [0xff, 0x4f, 0xd8];

/**
 * matplotlib's viridis at 9 evenly spaced points (perceptually uniform, readable with the common
 * colour-vision deficiencies and in greyscale); the table interpolates linearly between them.
 */
export const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [0x44, 0x01, 0x54],
  [0x47, 0x2c, 0x7a],
  [0x3b, 0x51, 0x8b],
  [0x2c, 0x71, 0x8e],
  [0x21, 0x90, 0x8d],
  [0x27, 0xad, 0x81],
  [0x5c, 0xc8, 0x63],
  [0xaa, 0xdc, 0x32],
  [0xfd, 0xe7, 0x25],
];

/** Background of unvisited cells (the page's --bg), as [r, g, b]. */
export const BACKGROUND: readonly [number, number, number] = [0xf6, 0xf7, 0xf9];

/** The RGB of position t in [0, 1] along the anchors, linearly interpolated. */
export function rampColor(
  t: number,
  anchors: readonly (readonly [number, number, number])[] = VIRIDIS,
): [number, number, number] {
  const x = Math.min(Math.max(t, 0), 1) * (anchors.length - 1);
  const i = Math.min(Math.floor(x), anchors.length - 2);
  const f = x - i;
  const a = anchors[i];
  const b = anchors[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f)) as [number, number, number];
}

// ImageData stores bytes r, g, b, a; a Uint32Array view reads them in platform order, which is
// little-endian on every browser platform, so the word is a << 24 | b << 16 | g << 8 | r.
export function packRgba(rgb: readonly [number, number, number], alpha = 255): number {
  return ((alpha << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]) >>> 0;
}

/** Packed colour `top` at opacity `alpha` over packed colour `under`, opaque. */
export function blend(top: number, under: number, alpha: number): number {
  const mix = (shift: number) =>
    Math.round(((top >>> shift) & 255) * alpha + ((under >>> shift) & 255) * (1 - alpha));
  return packRgba([mix(0), mix(8), mix(16)]);
}

/** The LUT_SIZE colours of the ramp, packed (entry i is the ramp at i / (LUT_SIZE - 1)). */
export function buildLut(
  anchors: readonly (readonly [number, number, number])[] = VIRIDIS,
): Uint32Array {
  const lut = new Uint32Array(LUT_SIZE);
  for (let i = 0; i < LUT_SIZE; i++) lut[i] = packRgba(rampColor(i / (LUT_SIZE - 1), anchors));
  return lut;
}

/** A log scale over [lo, hi]: what scoreIndex needs, computed once per frame. */
export interface LogScale {
  lo: number;
  hi: number;
  logLo: number;
  /** (LUT_SIZE - 1) / (log hi - log lo), or 0 when the range is a single value. */
  perLog: number;
}

/**
 * The scale of the scores seen. An empty range (no score yet: lo > hi) becomes [1, 1]; a range of
 * one value maps every score to the middle of the table.
 */
export function logScale(lo: number, hi: number): LogScale {
  if (!(lo <= hi) || !(lo > 0)) return { lo: 1, hi: 1, logLo: 0, perLog: 0 };
  const span = Math.log(hi) - Math.log(lo);
  return { lo, hi, logLo: Math.log(lo), perLog: span > 0 ? (LUT_SIZE - 1) / span : 0 };
}

/**
 * The LUT index of a score: log-linear between the scale's ends, rounded to the nearest entry and
 * clamped to the table (so lo is 0 and hi is LUT_SIZE - 1, a score <= 0 is 0); NaN (never
 * visited) is BLANK and NAN_VISIT (a visit that scored NaN) is NAN_INDEX.
 */
export function scoreIndex(score: number, s: LogScale): number {
  if (Number.isNaN(score)) return BLANK;
  if (score === NAN_VISIT) return NAN_INDEX;
  if (s.perLog === 0) return LUT_SIZE >> 1;
  if (!(score > 0)) return 0;
  const i = Math.round((Math.log(score) - s.logLo) * s.perLog);
  return Math.min(Math.max(i, 0), LUT_SIZE - 1);
}

/** A CSS linear-gradient of the ramp (left = lowest score) for the legend. */
export function legendGradient(
  anchors: readonly (readonly [number, number, number])[] = VIRIDIS,
): string {
  const stops = anchors.map(
    (c, i) => `rgb(${c[0]} ${c[1]} ${c[2]}) ${((100 * i) / (anchors.length - 1)).toFixed(1)}%`,
  );
  return `linear-gradient(to right, ${stops.join(', ')})`;
}

/** Legend labels: the ends of the scale and its geometric middle. */
export function legendTicks(s: LogScale): number[] {
  return s.lo === s.hi ? [s.lo] : [s.lo, Math.sqrt(s.lo * s.hi), s.hi];
}
