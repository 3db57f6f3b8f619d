// The pure geometry of the block heatmap: row order, which sorted rows share a pixel row (a band),
// the per-band aggregation of the score grid, and pixel -> (rows, slice) hit testing.
import { NAN_VISIT, type ScoreGrid } from '../../../lfr/scores';

export type HeatmapSort = 'id' | 'score' | 'status';

/** Most blocks a sort key can hold: 32 bits of score and the id must fit a float64's 53. */
export const MAX_SORT_BLOCKS = 2 ** 21;

// A float32's bits as a u32 that sorts like the float (negative floats flipped whole, positive ones
// with the sign bit set), so a native numeric sort of packed keys sorts by score.
const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);
function orderedBits(score: number): number {
  f32[0] = score;
  const b = f32Bits[0];
  return (b & 0x80000000 ? ~b : b | 0x80000000) >>> 0;
}

/**
 * Blocks drawn top to bottom: order[r] is the id of sorted row r. 'score': the hardest (highest
 * latest perplexity) on top, unvisited last; 'status': the highest FORGETTING_CLASSES index on top
 * (multiple descent, forgotten, learned, unlearned, unchanged, unvisited); ties always by id. Each row is a
 * float64 key (primary key x 2^idBits + id), sorted natively: no comparator calls for 20k rows.
 */
// order (n), keys (n) scratch, latest (n) scores by id (NaN: unvisited), statuses (n)
export function sortRows(
  order: Uint32Array,
  keys: Float64Array,
  sort: HeatmapSort,
  latest: ArrayLike<number> | null,
  statuses: ArrayLike<number> | null,
): Uint32Array {
  const n = order.length;
  if (n > MAX_SORT_BLOCKS) {
    throw new Error(`The heatmap sorts at most ${MAX_SORT_BLOCKS} blocks, not ${n}.`);
  }
  if (sort === 'id' || (sort === 'score' && !latest) || (sort === 'status' && !statuses)) {
    for (let r = 0; r < n; r++) order[r] = r;
    return order;
  }
  const scale = 2 ** Math.max(1, Math.ceil(Math.log2(n)));
  for (let id = 0; id < n; id++) {
    let primary: number;
    if (sort === 'score') {
      const s = latest![id];
      primary = Number.isNaN(s) ? 0xffffffff : 0xffffffff - 1 - orderedBits(s);
    } else {
      primary = 255 - statuses![id];
    }
    keys[id] = primary * scale + id;
  }
  keys.subarray(0, n).sort();
  for (let r = 0; r < n; r++) order[r] = keys[r] % scale;
  return order;
}

/** Each block's score at its last visit so far; NaN for a block never visited, NAN_VISIT if it scored NaN. */
// grid (slices, n) -> out (n)
export function latestScores(grid: ScoreGrid, out: Float32Array): Float32Array {
  const { data, slices, blockCount: n } = grid;
  out.fill(Number.NaN);
  for (let k = 0; k < slices; k++) {
    const base = k * n;
    for (let id = 0; id < n; id++) {
      const v = data[base + id];
      if (!Number.isNaN(v)) out[id] = v;
    }
  }
  return out;
}

/** Part of the planned steps whose scores the colour scale leaves out by default. */
export const SCALE_SKIP_FRACTION = 0.05;

/**
 * The first step the colour scale takes scores from when it leaves out the start: the first 5 %
 * of the planned steps (at least one), where scores are still near the vocabulary size.
 */
export function scaleStartStep(totalSteps: number): number {
  return Math.max(1, Math.ceil(totalSteps * SCALE_SKIP_FRACTION));
}

/** Pixel rows for `rows` sorted rows in `pixels` device pixels: one row each, or fewer. */
export function bandCount(rows: number, pixels: number): number {
  return Math.max(1, Math.min(rows, Math.floor(pixels)));
}

/** The first sorted row of band p (band p holds rows [bandStart(p), bandStart(p + 1))). */
export function bandStart(p: number, rows: number, bands: number): number {
  return Math.floor((p * rows) / bands);
}

/** The band that holds sorted row r. */
export function bandOf(r: number, rows: number, bands: number): number {
  let p = Math.min(bands - 1, Math.floor((r * bands) / rows));
  while (p + 1 < bands && bandStart(p + 1, rows, bands) <= r) p++;
  while (p > 0 && bandStart(p, rows, bands) > r) p--;
  return p;
}

/**
 * The visited cells of a grid, slice by slice: ids[colStart[k] .. colStart[k + 1]) are the blocks
 * with a score in slice k. A run visits each block a few times, so this is far smaller than the
 * (slices, n) grid, and the aggregation walks it instead of every cell. Only the slices that may
 * have changed are rescanned (a running BlockScores writes only its last slice or two, until a
 * merge rewrites them all).
 */
export class VisitIndex {
  ids = new Uint32Array(1024);
  colStart = new Uint32Array(65);
  slices = 0;

  /** Rescans slices [from, grid.slices); the slices before `from` must be as at the last scan. */
  scan(grid: ScoreGrid, from = 0): void {
    const { data, slices, blockCount: n } = grid;
    const first = Math.max(0, Math.min(from, this.slices, slices));
    if (this.colStart.length < slices + 1) {
      const grown = new Uint32Array(2 * (slices + 1));
      grown.set(this.colStart.subarray(0, first + 1));
      this.colStart = grown;
    }
    let j = this.colStart[first];
    for (let k = first; k < slices; k++) {
      this.colStart[k] = j;
      const base = k * n;
      for (let id = 0; id < n; id++) {
        const v = data[base + id];
        if (!Number.isNaN(v)) {
          if (j === this.ids.length) {
            const grown = new Uint32Array(2 * j);
            grown.set(this.ids);
            this.ids = grown;
          }
          this.ids[j++] = id;
        }
      }
    }
    this.colStart[slices] = j;
    this.slices = slices;
  }
}

/** The band of each block id under `order`. */
// order (n) -> out (n)
export function bandsOfIds(order: Uint32Array, bands: number, out: Uint32Array): Uint32Array {
  const rows = order.length;
  for (let p = 0; p < bands; p++) {
    const end = bandStart(p + 1, rows, bands);
    for (let r = bandStart(p, rows, bands); r < end; r++) out[order[r]] = p;
  }
  return out;
}

/** Where aggregateBands writes: (bands, stride) pixels, and the range of the scores. */
export interface BandOutput {
  /** Each band's max over the blocks visited in the slice; NaN: none was. */
  visited: Float32Array;
  /** Each band's max of the scores carried forward from earlier slices, or null to skip it. */
  carried: Float32Array | null;
  stride: number;
  /** [lowest, highest] finite score of the slices from scaleFromSlice (lo > hi when none). */
  range: Float64Array;
}

/** The scratch arrays aggregateBands reuses: carry (blocks), bandMax and bandNow (bands). */
export interface BandScratch {
  carry: Float32Array;
  bandMax: Float32Array;
  bandNow: Float32Array;
}

/**
 * Aggregates the grid into (bands, slices) pixels: a pixel shows the MAX over its band's rows of
 * the scores visited in that slice, blank (NaN) when none of its blocks was visited there. Why the
 * max: a hard block stays visible among easy neighbours (the hard blocks are the ones Focus trains
 * on), and the max commutes with the monotone log colour map, so the log is taken once per pixel.
 * A NaN-scored visit (NAN_VISIT, -Infinity) loses to any score, so its pixel says NaN only when
 * nothing else in the band was visited.
 *
 * Optionally also the carried value (a block's score at its last visit up to the slice), which
 * the renderer draws faded: walking the visits in slice order keeping each band's running max,
 * a visit that raises a band's value sets it, one that lowers the band's maximal block re-reads
 * that band's rows. So the cost is O(visits + slices x bands), not O(slices x n).
 *
 * The range leaves out the slices before scaleFromSlice (the first steps' scores near the
 * vocabulary size would stretch the scale); if those are all there is, it takes every slice.
 */
// grid (slices, n), visits of grid, order (n), bandOf (n) by id
export function aggregateBands(
  grid: ScoreGrid,
  visits: VisitIndex,
  order: Uint32Array,
  bandOf: Uint32Array,
  bands: number,
  scratch: BandScratch,
  out: BandOutput,
  scaleFromSlice = 0,
): void {
  const { data, slices, blockCount: rows } = grid;
  const { ids, colStart } = visits;
  const { carry, bandMax, bandNow } = scratch;
  const { visited, carried, stride, range } = out;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let allLo = lo;
  let allHi = hi;
  carry.fill(Number.NaN, 0, rows);
  bandMax.fill(Number.NaN, 0, bands);
  for (let k = 0; k < slices; k++) {
    const base = k * rows;
    bandNow.fill(Number.NaN, 0, bands);
    for (let j = colStart[k]; j < colStart[k + 1]; j++) {
      const id = ids[j];
      const v = data[base + id];
      const p = bandOf[id];
      if (!(v <= bandNow[p])) bandNow[p] = v;
      if (v > NAN_VISIT && v < Number.POSITIVE_INFINITY) {
        if (v < allLo) allLo = v;
        if (v > allHi) allHi = v;
        if (k >= scaleFromSlice) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
      if (!carried) continue;
      const old = carry[id];
      carry[id] = v;
      const cur = bandMax[p];
      if (!(v < cur)) {
        bandMax[p] = v;
      } else if (old === cur) {
        let m = Number.NEGATIVE_INFINITY;
        const end = bandStart(p + 1, rows, bands);
        for (let r = bandStart(p, rows, bands); r < end; r++) {
          const c = carry[order[r]];
          if (c > m) m = c;
        }
        bandMax[p] = m;
      }
    }
    for (let p = 0; p < bands; p++) {
      visited[p * stride + k] = bandNow[p];
      if (carried) carried[p * stride + k] = bandMax[p];
    }
  }
  const scaled = lo <= hi;
  range[0] = scaled ? lo : allLo;
  range[1] = scaled ? hi : allHi;
}

/**
 * The Focus span each history slice falls in (by the slice's first step), or -1: which slices a
 * Focus's dropped rows are marked in. spans[i] is [startStep, endStep).
 */
// -> out (slices)
export function sliceSpans(
  slices: number,
  sliceWidth: number,
  spans: readonly { startStep: number; endStep: number }[],
  out: Int16Array,
): Int16Array {
  out.fill(-1, 0, slices);
  spans.forEach((span, i) => {
    const first = Math.max(0, Math.ceil(span.startStep / sliceWidth));
    const end = Math.min(slices, Math.ceil(span.endStep / sliceWidth));
    out.fill(i, first, Math.max(first, end));
  });
  return out;
}

/** Fraction of each band's blocks that a Focus drops. */
// dropped (n) 1 = dropped, by id; order (n) -> out (bands)
export function droppedFractions(
  dropped: Uint8Array,
  order: Uint32Array,
  bands: number,
  out: Float32Array,
): void {
  const rows = order.length;
  let r = 0;
  for (let p = 0; p < bands; p++) {
    const start = r;
    const end = bandStart(p + 1, rows, bands);
    let count = 0;
    for (; r < end; r++) count += dropped[order[r]];
    out[p] = count / (end - start);
  }
}

/**
 * A block's score at its last visit up to and including slice k, and the slice of that visit
 * (-1 before its first). Only slice k itself unless `carry`.
 */
export function scoreUpTo(
  grid: ScoreGrid,
  id: number,
  k: number,
  carry: boolean,
): { score: number; slice: number } {
  const last = Math.min(k, grid.slices - 1);
  for (let j = last; j >= (carry ? 0 : last); j--) {
    const v = grid.data[j * grid.blockCount + id];
    if (!Number.isNaN(v)) return { score: v, slice: j };
  }
  return { score: Number.NaN, slice: -1 };
}

/**
 * The block a pixel of rows [r0, r1) shows in slice k: the one with the highest score visited in
 * the slice (the max the band draws; the upper row on ties), else with `carry` the highest carried
 * one, else the band's first block. `visitSlice` is the slice of the score's visit (-1: none);
 * a NaN-scored visit has score NaN and its slice.
 */
export function blockShown(
  grid: ScoreGrid,
  order: Uint32Array,
  r0: number,
  r1: number,
  k: number,
  carry: boolean,
): { id: number; score: number; visitSlice: number } {
  const pick = (withCarry: boolean) => {
    let best = { id: order[r0], score: Number.NaN, slice: -1 };
    for (let r = r0; r < r1; r++) {
      const v = scoreUpTo(grid, order[r], k, withCarry);
      if (v.slice >= 0 && (best.slice < 0 || v.score > best.score)) best = { id: order[r], ...v };
    }
    return best;
  };
  let best = pick(false);
  if (best.slice < 0 && carry) best = pick(true);
  const score = best.score === NAN_VISIT ? Number.NaN : best.score;
  return { id: best.id, score, visitSlice: best.slice };
}

/** Where each part of the heatmap sits, in CSS pixels of the canvas. */
export interface HeatmapGeometry {
  width: number;
  height: number;
  /** The strip left of the rows that marks the dropped ones. */
  strip: { x: number; w: number };
  /** The phase bands above the rows. */
  phases: { y: number; h: number };
  plot: { x: number; y: number; w: number; h: number };
  /** Steps the time axis spans: the whole planned run, or what was recorded if that is more. */
  totalSteps: number;
}

export const STRIP_WIDTH = 8;
export const PHASE_HEIGHT = 18;
export const AXIS_HEIGHT = 16;
const GAP = 3;

export function heatmapGeometry(
  width: number,
  height: number,
  grid: Pick<ScoreGrid, 'slices' | 'sliceWidth'>,
  phases: readonly { endStep: number }[],
): HeatmapGeometry {
  let planned = grid.slices * grid.sliceWidth;
  for (const p of phases) planned = Math.max(planned, p.endStep);
  const x = STRIP_WIDTH + GAP;
  const y = PHASE_HEIGHT + GAP;
  return {
    width,
    height,
    strip: { x: 0, w: STRIP_WIDTH },
    phases: { y: 0, h: PHASE_HEIGHT },
    plot: { x, y, w: Math.max(1, width - x), h: Math.max(1, height - y - AXIS_HEIGHT) },
    totalSteps: Math.max(1, planned),
  };
}

/** What a pointer at (x, y) CSS pixels is over: sorted rows [r0, r1) and a recorded slice. */
export interface HeatmapCell {
  band: number;
  r0: number;
  r1: number;
  slice: number;
}

export function hitTest(
  g: HeatmapGeometry,
  grid: Pick<ScoreGrid, 'slices' | 'sliceWidth' | 'blockCount'>,
  bands: number,
  x: number,
  y: number,
): HeatmapCell | null {
  const fx = (x - g.plot.x) / g.plot.w;
  const fy = (y - g.plot.y) / g.plot.h;
  if (!(fx >= 0 && fx < 1 && fy >= 0 && fy < 1)) return null;
  const slice = Math.floor((fx * g.totalSteps) / grid.sliceWidth);
  if (slice >= grid.slices) return null;
  const rows = grid.blockCount;
  const band = Math.min(bands - 1, Math.floor(fy * bands));
  return {
    band,
    r0: bandStart(band, rows, bands),
    r1: bandStart(band + 1, rows, bands),
    slice,
  };
}
