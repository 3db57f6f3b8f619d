// Runs in Chromium (the gpu project): the renderer's real canvas output, read back pixel by pixel.
import { describe, expect, it } from 'vitest';
import type { ScoreGrid } from '../../../lfr/scores';
import { NAN_VISIT } from '../../../lfr/scores';
import { BACKGROUND, NAN_COLOR, VIRIDIS } from './colorScale';
import {
  DROPPED_COLOR,
  DROPPED_TINT,
  FADED_ALPHA,
  type HeatmapFrame,
  HeatmapRenderer,
  PHASE_COLORS,
} from './heatmapRenderer';

const N = Number.NaN;

// 4 blocks x 3 slices, slice k by block id. Block 0 is first visited in slice 2; block 3 never.
const grid: ScoreGrid = {
  data: Float32Array.from([N, 100, 10, N, N, N, 1, N, 100, N, N, N]),
  slices: 3,
  blockCount: 4,
  sliceWidth: 1,
};

function frame(over: Partial<HeatmapFrame> = {}): HeatmapFrame {
  return {
    grid,
    version: 1,
    dropped: Uint8Array.of(0, 1, 0, 0),
    phases: [
      { name: 'learn', startStep: 0, endStep: 2 },
      { name: 'focus', startStep: 2, endStep: 4 },
    ],
    sort: 'id',
    ...over,
  };
}

// The canvas is 111 x 77 CSS px at ratio 1: the plot is 100 x 40 at (11, 21), 4 rows of 10 px,
// 4 planned steps of 25 px; the dropped strip is x 0..7; the phase bar y 0..17.
function setup() {
  const canvas = document.createElement('canvas');
  const r = new HeatmapRenderer(canvas);
  r.setSize(111, 77, 1);
  const ctx = canvas.getContext('2d')!;
  const rgb = (x: number, y: number) =>
    Array.from(ctx.getImageData(x, y, 1, 1).data.subarray(0, 3));
  const cell = (slice: number, row: number) => rgb(11 + 25 * slice + 12, 21 + 10 * row + 5);
  return { r, rgb, cell };
}

// A colour at `alpha` over the background, as blend() packs it.
const fade = (c: readonly number[], alpha = FADED_ALPHA) =>
  c.map((v, i) => Math.round(v * alpha + BACKGROUND[i] * (1 - alpha)));

const hex = (c: string) => [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16));

describe('HeatmapRenderer on a canvas', () => {
  // Mutant caught: the old fill-forward (block 1's 100 drawn in slice 1, where it was not visited).
  it('draws only the slices a block was visited in, the rest as background', () => {
    const { r, cell } = setup();
    r.draw(frame());
    expect(cell(0, 0)).toEqual([...BACKGROUND]);
    expect(cell(1, 0)).toEqual([...BACKGROUND]);
    // Block 0's 100 in slice 2 is the highest score: the top of the ramp.
    expect(cell(2, 0)).toEqual([...VIRIDIS[8]]);
    // Block 1: 100 in slice 0 only.
    expect(cell(0, 1)).toEqual([...VIRIDIS[8]]);
    expect(cell(1, 1)).toEqual([...BACKGROUND]);
    // Block 2: 10 then 1, the lowest score: the bottom of the ramp; not visited in slice 2.
    expect(cell(1, 2)).toEqual([...VIRIDIS[0]]);
    expect(cell(2, 2)).toEqual([...BACKGROUND]);
    // Block 3 is never visited; the planned but unrecorded step 3 is background too.
    expect(cell(1, 3)).toEqual([...BACKGROUND]);
    expect(cell(3, 1)).toEqual([...BACKGROUND]);
  });

  // Mutant caught: carried values drawn at full colour (indistinguishable from a visit).
  it('with carry, draws a carried score faded, unlike a visited one', () => {
    const { r, cell } = setup();
    r.draw(frame({ carry: true }));
    expect(cell(0, 1)).toEqual([...VIRIDIS[8]]);
    expect(cell(1, 1)).toEqual(fade(VIRIDIS[8]));
    expect(cell(0, 0)).toEqual([...BACKGROUND]);
  });

  // Mutant caught: a NaN score written as unvisited (background).
  it('draws a visit that scored NaN in its own colour', () => {
    const { r, cell } = setup();
    const data = grid.data.slice();
    data[3] = NAN_VISIT;
    r.draw(frame({ grid: { ...grid, data }, version: 2 }));
    expect(cell(0, 3)).toEqual([...NAN_COLOR]);
    expect(cell(1, 3)).toEqual([...BACKGROUND]);
  });

  // Mutant caught: tinting only the current Focus (the first one's marks vanish once the second starts).
  it("tints each Focus's dropped rows in that Focus's slices, for every Focus of the run", () => {
    const { r, cell } = setup();
    r.draw(
      frame({
        focusDrops: [
          { startStep: 1, endStep: 2, dropped: Uint8Array.of(0, 0, 0, 1) },
          { startStep: 2, endStep: 4, dropped: Uint8Array.of(0, 1, 0, 0) },
        ],
      }),
    );
    const tint = fade(DROPPED_COLOR, DROPPED_TINT);
    expect(cell(1, 3)).toEqual(tint);
    expect(cell(0, 3)).toEqual([...BACKGROUND]);
    expect(cell(2, 3)).toEqual([...BACKGROUND]);
    expect(cell(2, 1)).toEqual(tint);
    expect(cell(1, 1)).toEqual([...BACKGROUND]);
  });

  it('marks the rows the current Focus drops in the strip at the left', () => {
    const { r, rgb } = setup();
    r.draw(frame());
    expect(rgb(4, 21 + 15)).toEqual([...DROPPED_COLOR]);
    expect(rgb(4, 21 + 5)).toEqual(hex('#dde2e8'));
    r.draw(frame({ version: 2, dropped: null }));
    expect(rgb(4, 21 + 15)).toEqual(hex('#dde2e8'));
  });

  it('draws the phases along the time axis', () => {
    const { r, rgb } = setup();
    r.draw(frame());
    expect(rgb(11 + 5, 2)).toEqual(hex(PHASE_COLORS.learn));
    expect(rgb(11 + 95, 2)).toEqual(hex(PHASE_COLORS.focus));
  });

  it('reorders the rows by latest score and hit-tests the block under the pointer', () => {
    const { r, cell } = setup();
    r.draw(frame({ sort: 'score' }));
    // Latest scores: block 0 100, 1 100, 2 1, 3 none: rows 0, 1, 2, 3 as by id here.
    expect(cell(1, 2)).toEqual([...VIRIDIS[0]]);
    r.draw(frame({ sort: 'score', lastScores: Float32Array.of(1, 5, 50, N), version: 2 }));
    // Now block 2 is on top (10 then 1), then 1, 0 (first visited in slice 2), unvisited 3 last.
    expect(cell(1, 0)).toEqual([...VIRIDIS[0]]);
    expect(cell(0, 2)).toEqual([...BACKGROUND]);
    expect(cell(2, 2)).toEqual([...VIRIDIS[8]]);
    expect(cell(2, 3)).toEqual([...BACKGROUND]);
    expect(r.hit(11 + 25 * 2 + 3, 21 + 10 * 2 + 3)).toMatchObject({ id: 0, slice: 2, score: 100 });
    expect(r.hit(11 + 25 * 3 + 3, 21 + 3)).toBeNull();
  });

  it('re-sorts when a new version changed the scores in place, and only then', () => {
    const { r, cell } = setup();
    const last = Float32Array.of(1, 5, 50, N);
    r.draw(frame({ sort: 'score', lastScores: last }));
    // Block 2 on top: its 1 in slice 1.
    expect(cell(1, 0)).toEqual([...VIRIDIS[0]]);
    last[0] = 500;
    r.draw(frame({ sort: 'score', lastScores: last }));
    expect(cell(1, 0)).toEqual([...VIRIDIS[0]]);
    r.draw(frame({ sort: 'score', lastScores: last, version: 2 }));
    // Block 0 now on top: first visited in slice 2, at the highest score.
    expect(cell(2, 0)).toEqual([...VIRIDIS[8]]);
  });
});
