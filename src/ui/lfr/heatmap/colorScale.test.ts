import { describe, expect, it } from 'vitest';
import { NAN_VISIT } from '../../../lfr/scores';
import {
  BLANK,
  blend,
  buildLut,
  LUT_SIZE,
  legendTicks,
  logScale,
  NAN_INDEX,
  packRgba,
  rampColor,
  scoreIndex,
  VIRIDIS,
} from './colorScale';

describe('the heatmap colour scale', () => {
  it('maps scores log-linearly: the ends to the table ends, the geometric mean to the middle', () => {
    const s = logScale(2, 200);
    expect(scoreIndex(2, s)).toBe(0);
    expect(scoreIndex(200, s)).toBe(LUT_SIZE - 1);
    // sqrt(2 * 200) = 20 is halfway in log: (LUT_SIZE - 1) / 2 = 127.5 rounds to 128.
    expect(scoreIndex(20, s)).toBe(128);
    // A fifth of the log span above lo is 51, and 0.198 of it 50.49, which rounds down.
    expect(scoreIndex(2 * 100 ** 0.2, s)).toBe(51);
    expect(scoreIndex(2 * 100 ** 0.198, s)).toBe(50);
  });

  it('clamps scores outside the range to the table and gives BLANK for NaN (unvisited)', () => {
    const s = logScale(10, 100);
    expect(scoreIndex(1, s)).toBe(0);
    expect(scoreIndex(0, s)).toBe(0);
    expect(scoreIndex(-3, s)).toBe(0);
    expect(scoreIndex(1e9, s)).toBe(LUT_SIZE - 1);
    expect(scoreIndex(Number.POSITIVE_INFINITY, s)).toBe(LUT_SIZE - 1);
    expect(scoreIndex(Number.NaN, s)).toBe(BLANK);
  });

  // Mutant caught: NAN_VISIT clamped like a score <= 0 (index 0, the lowest colour).
  it('gives NAN_INDEX, not BLANK or a ramp colour, for a visit that scored NaN', () => {
    expect(scoreIndex(NAN_VISIT, logScale(10, 100))).toBe(NAN_INDEX);
    expect(scoreIndex(NAN_VISIT, logScale(5, 5))).toBe(NAN_INDEX);
  });

  it('blends a packed colour over another at an opacity', () => {
    const red = packRgba([200, 0, 100]);
    const white = packRgba([0, 100, 200]);
    expect(blend(red, white, 0.25)).toBe(packRgba([50, 75, 175]));
    expect(blend(red, white, 1)).toBe(red);
  });

  it('maps every score to the middle when the range is one value, and an empty range to [1, 1]', () => {
    expect(scoreIndex(5, logScale(5, 5))).toBe(LUT_SIZE >> 1);
    expect(scoreIndex(Number.NaN, logScale(5, 5))).toBe(BLANK);
    const empty = logScale(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
    expect([empty.lo, empty.hi]).toEqual([1, 1]);
    expect(legendTicks(empty)).toEqual([1]);
    expect(legendTicks(logScale(1, 100))).toEqual([1, 10, 100]);
  });

  it('builds the table from viridis: its first and last entries are the anchors, packed RGBA', () => {
    const lut = buildLut();
    expect(lut.length).toBe(LUT_SIZE);
    expect(lut[0]).toBe(packRgba(VIRIDIS[0]));
    expect(lut[LUT_SIZE - 1]).toBe(packRgba(VIRIDIS[VIRIDIS.length - 1]));
    // Bytes r, g, b, a in memory order, as ImageData reads them.
    const bytes = new Uint8Array(Uint32Array.of(packRgba([1, 2, 3], 4)).buffer);
    expect(Array.from(bytes)).toEqual([1, 2, 3, 4]);
    // Halfway between anchors 0 and 1 (t = 1/16) is their mean, rounded.
    expect(rampColor(1 / 16)).toEqual([0x46, Math.round((0x01 + 0x2c) / 2), 0x67]);
  });
});
