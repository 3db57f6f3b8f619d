// Draws the block x time heatmap on a 2D canvas, independent of React (the component, the
// benchmark and the tests drive it directly). Per data version: sort the rows once, aggregate the
// grid into one pixel per (band of rows, slice), colour it through the LUT into a reused
// ImageData, and let drawImage scale it onto the canvas; overlays (dropped strip, phase bands,
// highlight, axis) are a few fills on top.
import { PHASE_LABELS, type PhaseName } from '../../../lfr/schedule';
import type { ScoreGrid } from '../../../lfr/scores';
import {
  BACKGROUND,
  blend,
  buildLut,
  type LogScale,
  logScale,
  NAN_COLOR,
  NAN_INDEX,
  packRgba,
  scoreIndex,
} from './colorScale';
import {
  aggregateBands,
  bandCount,
  bandOf,
  bandsOfIds,
  blockShown,
  droppedFractions,
  type HeatmapGeometry,
  type HeatmapSort,
  heatmapGeometry,
  hitTest,
  latestScores,
  sliceSpans,
  sortRows,
  VisitIndex,
} from './heatmapLayout';

/** A phase of the schedule on the time axis, in schedule steps [startStep, endStep). */
export interface HeatmapPhase {
  name: PhaseName;
  startStep: number;
  endStep: number;
}

/** A Focus phase's dropped rows, marked in the slices of that phase for the whole run. */
export interface FocusDrop {
  startStep: number;
  endStep: number;
  /** (blockCount) 1 for each block this Focus dropped, by id. */
  dropped: Uint8Array;
}

/**
 * What one frame draws: plain data. The arrays may be mutated in place between frames; a new
 * `version` says that they were (the rows are re-sorted and re-aggregated only then).
 */
export interface HeatmapFrame {
  /** (slices, blockCount) scores, NaN where a block was not visited in a slice. */
  grid: ScoreGrid;
  /** Bumped whenever grid, lastScores, dropped or statuses changed. */
  version: number;
  /**
   * Optional: the first slice that may differ from the previous version's grid (same data array,
   * blockCount and sliceWidth). Only slices from there are rescanned; absent, all are.
   */
  dirtyFromSlice?: number;
  /** (blockCount) each block's latest score by id, for sort 'score'; derived from grid if absent. */
  lastScores?: ArrayLike<number> | null;
  /** (blockCount) 1 for the blocks the current Focus drops, by id; null outside a Focus. */
  dropped: Uint8Array | null;
  /** Every Focus cut so far: its dropped rows are tinted where they were not visited in its span. */
  focusDrops?: readonly FocusDrop[];
  /**
   * Also draw, faded, each block's score carried from its last visit into the slices it was not
   * visited in. Off by default: a cell shows only what happened in its slice.
   */
  carry?: boolean;
  /** The colour scale leaves out the slices before this step (default 0: every slice). */
  scaleFromStep?: number;
  /** (blockCount) each block's forgetting class as an index into FORGETTING_CLASSES. */
  statuses?: Uint8Array | null;
  phases: readonly HeatmapPhase[];
  /** Row order; 'status' without statuses falls back to 'id'. */
  sort: HeatmapSort;
  /** A block id to outline, or null. */
  highlight?: number | null;
}

/** What the pointer is over. */
export interface HeatmapHit {
  id: number;
  slice: number;
  /** Steps [firstStep, lastStep] the slice covers. */
  firstStep: number;
  lastStep: number;
  /** The block's score at its visit in the slice (or carried, with frame.carry); NaN if none or NaN. */
  score: number;
  /** The slice of the score's visit: `slice` itself unless carried; -1 when there is none. */
  visitSlice: number;
  /** Index into frame.focusDrops of the Focus that dropped the block here, or -1. */
  droppedBy: number;
  /** Blocks that share the pixel row (the one shown has the highest score). */
  rowsInPixel: number;
}

/** What a draw produced, for readouts (legend, test hooks). */
export interface HeatmapDrawn {
  version: number;
  /** Score range the colours span (lo = hi = 1 before any score). */
  scale: LogScale;
  /** Pixel rows the blocks were aggregated into. */
  bands: number;
  /** Blocks the current Focus drops (0 outside a Focus). */
  droppedRows: number;
  /** Blocks each Focus of frame.focusDrops dropped, marked in its span. */
  focusDropped: number[];
}

export const PHASE_COLORS: Record<PhaseName, string> = {
  random: '#5b6573',
  learn: '#2f5fd0',
  focus: '#b3261e',
  review: '#17753a',
  focusAgain: '#8a3ab9',
};

export const DROPPED_COLOR: readonly [number, number, number] = [0xb3, 0x26, 0x1e];
/** Opacity of a carried (not visited) score's colour over the background. */
export const FADED_ALPHA = 0.35;
/** Opacity of the dropped tint in a Focus's span, for a band its Focus dropped entirely. */
export const DROPPED_TINT = 0.3;
const STRIP_BACKGROUND = '#dde2e8';
const TEXT = '#1d232b';
const MUTED = '#5b6573';
const FONT = '11px system-ui, sans-serif';

type Canvas2D = HTMLCanvasElement | OffscreenCanvas;
type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

// 'status' without statuses, or 'score' with no scores to rank, draw in id order.
function effectiveSort(frame: HeatmapFrame): HeatmapSort {
  return frame.sort === 'status' && !frame.statuses ? 'id' : frame.sort;
}

function context2d(canvas: Canvas2D): Context2D {
  const ctx = canvas.getContext('2d', { alpha: false }) as Context2D | null;
  if (!ctx) throw new Error('The heatmap needs a 2D canvas context, and this browser gave none.');
  return ctx;
}

export class HeatmapRenderer {
  private readonly ctx: Context2D;
  /** Column 0: the dropped strip; columns 1..slices: the cells (one pixel per band x slice). */
  private readonly tile: OffscreenCanvas;
  private readonly tileCtx: OffscreenCanvasRenderingContext2D;
  private readonly lut = buildLut();
  private readonly blank = packRgba(BACKGROUND);
  private readonly faded = this.lut.map((c) => blend(c, this.blank, FADED_ALPHA));
  private readonly nanColor = packRgba(NAN_COLOR);
  private image: ImageData | null = null;
  private pixels = new Uint32Array(0);
  private readonly visits = new VisitIndex();
  private order = new Uint32Array(0);
  private rank = new Uint32Array(0);
  private keys = new Float64Array(0);
  private bandOf = new Uint32Array(0);
  private carry = new Float32Array(0);
  private latest = new Float32Array(0);
  private cells = new Float32Array(0);
  private bandMax = new Float32Array(0);
  private carriedCells = new Float32Array(0);
  private bandNow = new Float32Array(0);
  private fractions = new Float32Array(0);
  private spanOf = new Int16Array(0);
  private spanTint = new Uint32Array(0);
  private readonly range = new Float64Array(2);
  private cssWidth = 300;
  private cssHeight = 150;
  private dpr = 1;
  private geometry: HeatmapGeometry | null = null;
  private bands = 1;
  private frame: HeatmapFrame | null = null;
  private pending: HeatmapFrame | null = null;
  private raf = 0;
  /** What the cached image was made from: a draw rebuilds only what differs. */
  private made: {
    version: number;
    grid: ScoreGrid | null;
    sort: HeatmapSort | null;
    lastScores: HeatmapFrame['lastScores'];
    statuses: HeatmapFrame['statuses'];
    dropped: HeatmapFrame['dropped'];
    focusDrops: HeatmapFrame['focusDrops'];
    carry: boolean;
    scaleFromStep: number;
    bands: number;
  } = {
    version: -1,
    grid: null,
    sort: null,
    lastScores: null,
    statuses: null,
    dropped: null,
    focusDrops: undefined,
    carry: false,
    scaleFromStep: 0,
    bands: 0,
  };
  private drawn: HeatmapDrawn = {
    version: -1,
    scale: logScale(1, 1),
    bands: 1,
    droppedRows: 0,
    focusDropped: [],
  };

  constructor(
    private readonly canvas: Canvas2D,
    private readonly onDrawn?: (drawn: HeatmapDrawn) => void,
  ) {
    this.ctx = context2d(canvas);
    this.tile = new OffscreenCanvas(1, 1);
    const tileCtx = this.tile.getContext('2d');
    if (!tileCtx) throw new Error('The heatmap needs an OffscreenCanvas 2D context.');
    this.tileCtx = tileCtx;
  }

  /** The canvas's size in CSS pixels and the device pixel ratio; the next draw uses them. */
  setSize(cssWidth: number, cssHeight: number, dpr = 1): void {
    this.cssWidth = Math.max(1, cssWidth);
    this.cssHeight = Math.max(1, cssHeight);
    this.dpr = dpr > 0 ? dpr : 1;
    this.canvas.width = Math.round(this.cssWidth * this.dpr);
    this.canvas.height = Math.round(this.cssHeight * this.dpr);
    if (this.frame) this.request(this.frame);
  }

  /** Draws `frame` at the next animation frame; requests within one frame draw once. */
  request(frame: HeatmapFrame): void {
    this.pending = frame;
    if (this.raf !== 0) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      const next = this.pending;
      this.pending = null;
      if (next) this.draw(next);
    });
  }

  /**
   * Draws now. Per new version: rescan the changed slices, re-sort (unless by id) and
   * re-aggregate; a new size or order re-aggregates; anything else only recomposites.
   */
  draw(frame: HeatmapFrame): HeatmapDrawn {
    this.frame = frame;
    const g = heatmapGeometry(this.cssWidth, this.cssHeight, frame.grid, frame.phases);
    this.geometry = g;
    const bands = bandCount(frame.grid.blockCount, g.plot.h * this.dpr);
    const made = this.made;
    const grid = frame.grid;
    const sameShape =
      made.grid !== null &&
      made.grid.data.buffer === grid.data.buffer &&
      made.grid.blockCount === grid.blockCount &&
      made.grid.sliceWidth === grid.sliceWidth;
    const newData =
      frame.version !== made.version || !sameShape || made.grid?.slices !== grid.slices;
    const sort = effectiveSort(frame);
    const newOrder =
      !sameShape ||
      sort !== made.sort ||
      (sort !== 'id' && newData) ||
      frame.lastScores !== made.lastScores ||
      frame.statuses !== made.statuses;
    const carry = frame.carry === true;
    const scaleFromStep = frame.scaleFromStep ?? 0;
    if (
      newData ||
      newOrder ||
      bands !== made.bands ||
      frame.dropped !== made.dropped ||
      frame.focusDrops !== made.focusDrops ||
      carry !== made.carry ||
      scaleFromStep !== made.scaleFromStep
    ) {
      this.ensureCapacity(grid.blockCount, grid.slices, bands);
      if (newData) this.visits.scan(grid, sameShape ? (frame.dirtyFromSlice ?? 0) : 0);
      if (newOrder) this.sortRows(frame, sort);
      if (newOrder || bands !== made.bands) bandsOfIds(this.order, bands, this.bandOf);
      this.bands = bands;
      this.paint(frame);
      this.made = {
        version: frame.version,
        grid,
        sort,
        lastScores: frame.lastScores,
        statuses: frame.statuses,
        dropped: frame.dropped,
        focusDrops: frame.focusDrops,
        carry,
        scaleFromStep,
        bands,
      };
    }
    this.composite(frame, g);
    this.onDrawn?.(this.drawn);
    return this.drawn;
  }

  /** What the pointer at (x, y) CSS pixels is over, by the last draw; null outside the cells. */
  hit(x: number, y: number): HeatmapHit | null {
    const frame = this.frame;
    const g = this.geometry;
    if (!frame || !g) return null;
    const cell = hitTest(g, frame.grid, this.bands, x, y);
    if (!cell) return null;
    const carry = frame.carry === true;
    const shown = blockShown(frame.grid, this.order, cell.r0, cell.r1, cell.slice, carry);
    const w = frame.grid.sliceWidth;
    const span = this.spanOf[cell.slice] ?? -1;
    const droppedBy =
      shown.visitSlice !== cell.slice && span >= 0 && frame.focusDrops?.[span].dropped[shown.id]
        ? span
        : -1;
    return {
      id: shown.id,
      slice: cell.slice,
      firstStep: cell.slice * w,
      lastStep: (cell.slice + 1) * w - 1,
      score: shown.score,
      visitSlice: shown.visitSlice,
      droppedBy,
      rowsInPixel: cell.r1 - cell.r0,
    };
  }

  dispose(): void {
    if (this.raf !== 0) cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.pending = null;
  }

  // Typed arrays grow to the largest size seen and are reused, so a steady run allocates nothing.
  private ensureCapacity(n: number, cols: number, bands: number): void {
    if (this.order.length !== n) {
      this.order = new Uint32Array(n);
      this.rank = new Uint32Array(n);
      this.keys = new Float64Array(n);
      this.bandOf = new Uint32Array(n);
      this.carry = new Float32Array(n);
      this.latest = new Float32Array(n);
    }
    if (this.cells.length < cols * bands) {
      this.cells = new Float32Array(cols * bands);
      this.carriedCells = new Float32Array(cols * bands);
    }
    if (this.spanOf.length < cols) this.spanOf = new Int16Array(2 * cols);
    if (this.bandMax.length < bands) {
      this.bandMax = new Float32Array(bands);
      this.bandNow = new Float32Array(bands);
      this.fractions = new Float32Array(bands);
    }
    const img = this.image;
    if (!img || img.width < cols + 1 || img.height < bands) {
      // Columns grow with the recorded slices: double, so a run reallocates a few times at most.
      const width = Math.max(cols + 1, img ? Math.min(2 * img.width, cols + 1 + 256) : 0);
      this.image = new ImageData(width, Math.max(bands, img?.height ?? 0));
      this.pixels = new Uint32Array(this.image.data.buffer);
      this.tile.width = this.image.width;
      this.tile.height = this.image.height;
    }
  }

  private sortRows(frame: HeatmapFrame, sort: HeatmapSort): void {
    const latest =
      sort === 'score' ? (frame.lastScores ?? latestScores(frame.grid, this.latest)) : null;
    sortRows(this.order, this.keys, sort, latest, frame.statuses ?? null);
    for (let r = 0; r < this.order.length; r++) this.rank[this.order[r]] = r;
  }

  private paint(frame: HeatmapFrame): void {
    const { grid } = frame;
    const n = grid.blockCount;
    const cols = grid.slices;
    const bands = this.bands;
    const carry = frame.carry === true;
    aggregateBands(
      grid,
      this.visits,
      this.order,
      this.bandOf,
      bands,
      { carry: this.carry, bandMax: this.bandMax, bandNow: this.bandNow },
      {
        visited: this.cells,
        carried: carry ? this.carriedCells : null,
        stride: cols,
        range: this.range,
      },
      Math.ceil((frame.scaleFromStep ?? 0) / grid.sliceWidth),
    );
    const scale = logScale(this.range[0], this.range[1]);
    this.tintDrops(frame, cols);
    const img = this.image!;
    const px = this.pixels;
    const stride = img.width;
    // A band's value changes only at a visit, so along a pixel row most cells repeat the one
    // before: reuse its colour instead of taking the log again.
    for (let p = 0; p < bands; p++) {
      const row = p * stride + 1;
      const src = p * cols;
      let prev = Number.NaN;
      let color = this.blank;
      for (let k = 0; k < cols; k++) {
        const v = this.cells[src + k];
        if (Number.isNaN(v)) {
          px[row + k] = this.unvisitedColor(
            p,
            k,
            carry ? this.carriedCells[src + k] : Number.NaN,
            scale,
          );
          prev = Number.NaN;
          continue;
        }
        if (v !== prev) {
          const i = scoreIndex(v, scale);
          color = i === NAN_INDEX ? this.nanColor : this.lut[i];
          prev = v;
        }
        px[row + k] = color;
      }
    }

    let droppedRows = 0;
    if (frame.dropped) {
      droppedFractions(frame.dropped, this.order, bands, this.fractions);
      for (let id = 0; id < n; id++) droppedRows += frame.dropped[id];
    } else {
      this.fractions.fill(0, 0, bands);
    }
    // The strip: dropped red over transparent, its opacity the band's dropped fraction.
    for (let p = 0; p < bands; p++) {
      px[p * stride] = packRgba(DROPPED_COLOR, Math.round(255 * this.fractions[p]));
    }
    this.tileCtx.putImageData(img, 0, 0, 0, 0, cols + 1, bands);
    const focusDropped = (frame.focusDrops ?? []).map((d) => d.dropped.reduce((a, b) => a + b, 0));
    this.drawn = { version: frame.version, scale, bands, droppedRows, focusDropped };
  }

  // A cell with no visit: the carried score faded (if asked), else a Focus's dropped tint, else blank.
  private unvisitedColor(p: number, k: number, carried: number, scale: LogScale): number {
    if (!Number.isNaN(carried)) {
      const i = scoreIndex(carried, scale);
      return i === NAN_INDEX ? blend(this.nanColor, this.blank, FADED_ALPHA) : this.faded[i];
    }
    const span = this.spanOf[k];
    return span < 0 ? this.blank : this.spanTint[span * this.bands + p];
  }

  // Per Focus span and band: the background tinted by the fraction of the band that Focus dropped.
  private tintDrops(frame: HeatmapFrame, cols: number): void {
    const drops = frame.focusDrops ?? [];
    const bands = this.bands;
    sliceSpans(cols, frame.grid.sliceWidth, drops, this.spanOf);
    if (this.spanTint.length < drops.length * bands) {
      this.spanTint = new Uint32Array(drops.length * bands);
    }
    const dropped = packRgba(DROPPED_COLOR);
    drops.forEach((d, i) => {
      droppedFractions(d.dropped, this.order, bands, this.fractions);
      for (let p = 0; p < bands; p++) {
        this.spanTint[i * bands + p] = blend(dropped, this.blank, DROPPED_TINT * this.fractions[p]);
      }
    });
  }

  private composite(frame: HeatmapFrame, g: HeatmapGeometry): void {
    const ctx = this.ctx;
    const { grid } = frame;
    const { plot, strip } = g;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, g.width, g.height);
    ctx.fillStyle = `rgb(${BACKGROUND.join(' ')})`;
    ctx.fillRect(plot.x, plot.y, plot.w, plot.h);
    ctx.fillStyle = STRIP_BACKGROUND;
    ctx.fillRect(strip.x, plot.y, strip.w, plot.h);
    ctx.imageSmoothingEnabled = false;
    const bands = this.bands;
    ctx.drawImage(this.tile, 0, 0, 1, bands, strip.x, plot.y, strip.w, plot.h);
    if (grid.slices > 0) {
      const w = (plot.w * grid.slices * grid.sliceWidth) / g.totalSteps;
      ctx.drawImage(this.tile, 1, 0, grid.slices, bands, plot.x, plot.y, w, plot.h);
    }
    this.drawPhases(frame, g);
    this.drawHighlight(frame, g);
    ctx.fillStyle = MUTED;
    ctx.font = FONT;
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'left';
    ctx.fillText('step 0', plot.x, g.height);
    ctx.textAlign = 'right';
    ctx.fillText(`step ${g.totalSteps}`, plot.x + plot.w, g.height);
  }

  private drawPhases(frame: HeatmapFrame, g: HeatmapGeometry): void {
    const ctx = this.ctx;
    const { plot, phases } = g;
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    for (const phase of frame.phases) {
      const x0 = plot.x + (plot.w * phase.startStep) / g.totalSteps;
      const x1 = plot.x + (plot.w * phase.endStep) / g.totalSteps;
      ctx.fillStyle = PHASE_COLORS[phase.name];
      ctx.fillRect(x0, phases.y, Math.max(1, x1 - x0 - 1), phases.h);
      const label = PHASE_LABELS[phase.name];
      if (ctx.measureText(label).width + 6 <= x1 - x0) {
        ctx.fillStyle = '#ffffff';
        ctx.fillText(label, x0 + 3, phases.y + phases.h / 2);
      }
    }
  }

  // The highlighted block's pixel row, outlined across the time axis.
  private drawHighlight(frame: HeatmapFrame, g: HeatmapGeometry): void {
    const id = frame.highlight;
    const n = frame.grid.blockCount;
    if (id === null || id === undefined || !(id >= 0 && id < n)) return;
    const p = bandOf(this.rank[id], n, this.bands);
    const y0 = g.plot.y + (g.plot.h * p) / this.bands;
    const h = Math.max(g.plot.h / this.bands, 2 / this.dpr);
    const ctx = this.ctx;
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = TEXT;
    ctx.strokeRect(g.plot.x - 1, y0 - 1, g.plot.w + 2, h + 2);
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 0.75;
    ctx.strokeRect(g.plot.x, y0, g.plot.w, h);
  }
}
