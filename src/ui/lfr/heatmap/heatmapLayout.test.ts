import { describe, expect, it } from 'vitest';
import { NAN_VISIT, type ScoreGrid } from '../../../lfr/scores';
import { Rng } from '../../../util/rng';
import {
  aggregateBands,
  bandCount,
  bandOf,
  bandStart,
  bandsOfIds,
  blockShown,
  droppedFractions,
  heatmapGeometry,
  hitTest,
  latestScores,
  sliceSpans,
  sortRows,
  VisitIndex,
} from './heatmapLayout';

const N = Number.NaN;

function gridOf(rows: number[][]): ScoreGrid {
  // rows[k] is slice k, by block id
  return {
    data: Float32Array.from(rows.flat()),
    slices: rows.length,
    blockCount: rows[0].length,
    sliceWidth: 1,
  };
}

function sorted(
  sort: 'id' | 'score' | 'status',
  latest: number[] | null,
  statuses: number[] | null,
) {
  const n = (latest ?? statuses)!.length;
  return Array.from(
    sortRows(
      new Uint32Array(n),
      new Float64Array(n),
      sort,
      latest,
      statuses && Uint8Array.from(statuses),
    ),
  );
}

// The definition, cell by cell: each block's score in the slice (or, with `carry`, at its last
// visit up to the slice), the max per band.
function referenceBands(
  grid: ScoreGrid,
  order: Uint32Array,
  bands: number,
  carry = false,
): number[][] {
  const n = grid.blockCount;
  const out: number[][] = [];
  for (let p = 0; p < bands; p++) {
    const row: number[] = [];
    for (let k = 0; k < grid.slices; k++) {
      let m = Number.NaN;
      for (let r = bandStart(p, n, bands); r < bandStart(p + 1, n, bands); r++) {
        let v = Number.NaN;
        for (let j = carry ? 0 : k; j <= k; j++) {
          const x = grid.data[j * n + order[r]];
          if (!Number.isNaN(x)) v = x;
        }
        if (!Number.isNaN(v) && !(v <= m)) m = v;
      }
      row.push(m);
    }
    out.push(row);
  }
  return out;
}

function aggregate(
  grid: ScoreGrid,
  order: Uint32Array,
  bands: number,
  visits = new VisitIndex(),
  scaleFromSlice = 0,
) {
  if (visits.slices === 0) visits.scan(grid);
  const n = grid.blockCount;
  const visited = new Float32Array(bands * grid.slices);
  const carried = new Float32Array(bands * grid.slices);
  const range = new Float64Array(2);
  aggregateBands(
    grid,
    visits,
    order,
    bandsOfIds(order, bands, new Uint32Array(n)),
    bands,
    {
      carry: new Float32Array(n),
      bandMax: new Float32Array(bands),
      bandNow: new Float32Array(bands),
    },
    { visited, carried, stride: grid.slices, range },
    scaleFromSlice,
  );
  const rowsOf = (out: Float32Array) =>
    Array.from({ length: bands }, (_, p) =>
      Array.from(out.subarray(p * grid.slices, (p + 1) * grid.slices)),
    );
  return { rows: rowsOf(visited), carried: rowsOf(carried), lo: range[0], hi: range[1] };
}

describe('heatmap row order', () => {
  const latest = [3, N, 5, 3, 1, 5, Number.POSITIVE_INFINITY, 0.5];
  const statuses = [1, 4, 1, 0, 3, 4, 2, 0];

  it('sorts by id', () => {
    expect(sorted('id', latest, statuses)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('sorts by latest score, hardest first, unvisited last, ties by id', () => {
    expect(sorted('score', latest, null)).toEqual([6, 2, 5, 0, 3, 4, 7, 1]);
  });

  it('sorts by status, the highest class index first, ties by id', () => {
    expect(sorted('status', null, statuses)).toEqual([1, 5, 4, 6, 0, 2, 3, 7]);
  });

  it('falls back to id order without the values to sort by', () => {
    expect(sorted('score', null, statuses)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(sorted('status', latest, null)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('agrees with a comparator sort on many random scores with ties', () => {
    const rng = new Rng(3);
    const n = 5000;
    const s = Array.from({ length: n }, () =>
      rng.uniform() < 0.1 ? N : Math.fround(1 + rng.int(50) / 7),
    );
    const expected = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
      const na = Number.isNaN(s[a]);
      const nb = Number.isNaN(s[b]);
      if (na || nb) return na === nb ? a - b : na ? 1 : -1;
      return s[b] - s[a] || a - b;
    });
    expect(sorted('score', s, null)).toEqual(expected);
  });

  it("takes each block's latest score from the grid", () => {
    const g = gridOf([
      [1, N, 2],
      [N, N, 3],
      [4, N, N],
    ]);
    expect(Array.from(latestScores(g, new Float32Array(3)))).toEqual([4, N, 3]);
  });
});

describe('heatmap bands (pixel rows)', () => {
  it('gives one band per row when the rows fit, else one per pixel', () => {
    expect(bandCount(10, 400)).toBe(10);
    expect(bandCount(20000, 383.6)).toBe(383);
    expect(bandCount(5, 0)).toBe(1);
  });

  it('splits the rows into contiguous bands whose sizes differ by at most one', () => {
    for (const [rows, bands] of [
      [10, 3],
      [20000, 383],
      [7, 7],
      [129, 33],
    ]) {
      const sizes = Array.from(
        { length: bands },
        (_, p) => bandStart(p + 1, rows, bands) - bandStart(p, rows, bands),
      );
      expect(bandStart(0, rows, bands)).toBe(0);
      expect(bandStart(bands, rows, bands)).toBe(rows);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      for (let r = 0; r < rows; r++) {
        const p = bandOf(r, rows, bands);
        expect(bandStart(p, rows, bands) <= r && r < bandStart(p + 1, rows, bands)).toBe(true);
      }
    }
  });

  // Mutant caught: the visited output taking the carried band max (the old fill-forward).
  it("shows each band's max of the scores visited in the slice, blank where none was", () => {
    // 4 blocks, 3 slices; order [3, 2, 1, 0] in 2 bands: band 0 = blocks 3, 2; band 1 = 1, 0.
    const g = gridOf([
      [N, N, 7, N],
      [2, N, N, 9],
      [N, 5, 1, N],
    ]);
    const { rows, carried, lo, hi } = aggregate(g, Uint32Array.of(3, 2, 1, 0), 2);
    // Band 0: slice 0 has block 2's 7; slice 1 block 3's 9; slice 2 block 2's 1 (9 is not carried).
    expect(rows[0]).toEqual([7, 9, 1]);
    // Band 1: nothing in slice 0; block 0's 2; block 1's 5.
    expect(rows[1]).toEqual([N, 2, 5]);
    // Carried (the option): slice 2 of band 0 is max(9 carried, 1) = 9.
    expect(carried[0]).toEqual([7, 9, 9]);
    expect(carried[1]).toEqual([N, 2, 5]);
    expect([lo, hi]).toEqual([1, 9]);
  });

  // Mutant caught: a visit scored NaN (NAN_VISIT) written as NaN, i.e. blank.
  it('shows a band whose only visit scored NaN as NAN_VISIT, and any score above it', () => {
    const g = gridOf([
      [NAN_VISIT, N, N],
      [NAN_VISIT, 3, N],
    ]);
    const { rows, lo, hi } = aggregate(g, Uint32Array.of(0, 1, 2), 3);
    expect(rows[0]).toEqual([NAN_VISIT, NAN_VISIT]);
    expect(rows[1]).toEqual([N, 3]);
    expect([lo, hi]).toEqual([3, 3]);
    expect(aggregate(g, Uint32Array.of(0, 1, 2), 1).rows[0]).toEqual([NAN_VISIT, 3]);
  });

  // Mutant caught: the range taken over every slice (the early 250 stretches the scale).
  it('leaves the slices before scaleFromSlice out of the colour range, unless they are all there is', () => {
    const g = gridOf([
      [250, 240],
      [N, 20],
      [4, N],
    ]);
    const order = Uint32Array.of(0, 1);
    expect(aggregate(g, order, 2, new VisitIndex(), 1)).toMatchObject({ lo: 4, hi: 20 });
    expect(aggregate(g, order, 2, new VisitIndex(), 0)).toMatchObject({ lo: 4, hi: 250 });
    expect(aggregate(g, order, 2, new VisitIndex(), 5)).toMatchObject({ lo: 4, hi: 250 });
  });

  it("lowers a carried band when its highest block's score falls", () => {
    const g = gridOf([
      [8, 3],
      [2, N],
      [N, 1],
    ]);
    expect(aggregate(g, Uint32Array.of(0, 1), 1).carried[0]).toEqual([8, 3, 2]);
  });

  it('matches the cell-by-cell definition on random grids, orders and band counts', () => {
    const rng = new Rng(7);
    for (const [n, slices, bands] of [
      [1, 1, 1],
      [7, 5, 3],
      [33, 9, 7],
      [129, 17, 33],
      [50, 12, 50],
    ]) {
      const data = new Float32Array(n * slices).fill(N);
      for (let i = 0; i < data.length; i++) {
        if (rng.uniform() < 0.3) data[i] = Math.fround(Math.exp(4 * rng.uniform()));
      }
      const g: ScoreGrid = { data, slices, blockCount: n, sliceWidth: 2 };
      const order = Uint32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      const got = aggregate(g, order, bands);
      expect(got.rows).toEqual(referenceBands(g, order, bands));
      expect(got.carried).toEqual(referenceBands(g, order, bands, true));
    }
  });

  it('rescans only the slices it is told changed, and then agrees with a full scan', () => {
    const g = gridOf([
      [1, N, N],
      [N, 2, N],
      [N, N, N],
    ]);
    const visits = new VisitIndex();
    visits.scan(g);
    g.data[2 * 3 + 2] = 6;
    g.data[2 * 3 + 0] = 4;
    visits.scan(g, 2);
    const order = Uint32Array.of(0, 1, 2);
    expect(aggregate(g, order, 3, visits).carried).toEqual(referenceBands(g, order, 3, true));
    expect(Array.from(visits.ids.subarray(0, visits.colStart[3]))).toEqual([0, 1, 0, 2]);
  });

  // Mutant caught: marking only the current (last) Focus's slices.
  it('puts each slice in the Focus span holding its first step, for every Focus of the run', () => {
    const spans = [
      { startStep: 4, endStep: 6 },
      { startStep: 10, endStep: 12 },
    ];
    expect(Array.from(sliceSpans(12, 1, spans, new Int16Array(12)))).toEqual([
      -1, -1, -1, -1, 0, 0, -1, -1, -1, -1, 1, 1,
    ]);
    // Two steps a slice: slice 2 starts at step 4, slice 5 at step 10.
    expect(Array.from(sliceSpans(6, 2, spans, new Int16Array(6)))).toEqual([-1, -1, 0, -1, -1, 1]);
  });

  it('gives the fraction of each band that the current Focus drops', () => {
    const out = new Float32Array(2);
    droppedFractions(Uint8Array.of(1, 0, 1, 1, 0), Uint32Array.of(4, 3, 2, 1, 0), 2, out);
    // Band 0: blocks 4, 3 (one dropped); band 1: blocks 2, 1, 0 (two dropped).
    expect(Array.from(out)).toEqual([0.5, Math.fround(2 / 3)]);
  });
});

describe('heatmap hit testing', () => {
  const g = gridOf([
    [N, 4, N, N],
    [3, N, N, N],
  ]);
  // A plot 100 x 40 CSS px at (11, 21) for 2 recorded slices of a planned 4-step run.
  const geo = heatmapGeometry(111, 77, g, [{ endStep: 4 }]);

  it('lays out the strip, the phase bar and the plot, over the whole planned run', () => {
    expect(geo.plot).toEqual({ x: 11, y: 21, w: 100, h: 40 });
    expect(geo.totalSteps).toBe(4);
    expect(
      heatmapGeometry(111, 77, { slices: 8, sliceWidth: 2 }, [{ endStep: 4 }]).totalSteps,
    ).toBe(16);
  });

  it('finds the rows and the slice under a pixel', () => {
    // 2 bands of 2 rows: y 21..40 is band 0, 41..60 band 1; each step is 25 px wide.
    expect(hitTest(geo, g, 2, 11, 21)).toEqual({ band: 0, r0: 0, r1: 2, slice: 0 });
    expect(hitTest(geo, g, 2, 35.9, 40.9)).toEqual({ band: 0, r0: 0, r1: 2, slice: 0 });
    expect(hitTest(geo, g, 2, 60, 45)).toEqual({ band: 1, r0: 2, r1: 4, slice: 1 });
    expect(hitTest(geo, g, 4, 36, 60.9)).toEqual({ band: 3, r0: 3, r1: 4, slice: 1 });
  });

  it('finds nothing outside the plot or past the recorded slices', () => {
    expect(hitTest(geo, g, 2, 10.9, 30)).toBeNull();
    expect(hitTest(geo, g, 2, 30, 20)).toBeNull();
    expect(hitTest(geo, g, 2, 30, 61)).toBeNull();
    expect(hitTest(geo, g, 2, 61, 30)).toBeNull();
  });

  it('names the block a pixel shows: the highest score visited in the slice, upper row on ties', () => {
    const order = Uint32Array.of(0, 1, 2, 3);
    expect(blockShown(g, order, 0, 2, 0, false)).toEqual({ id: 1, score: 4, visitSlice: 0 });
    expect(blockShown(g, order, 0, 2, 1, false)).toEqual({ id: 0, score: 3, visitSlice: 1 });
    expect(blockShown(g, order, 2, 4, 1, false)).toEqual({ id: 2, score: N, visitSlice: -1 });
    const tie = gridOf([[5, 5]]);
    expect(blockShown(tie, Uint32Array.of(1, 0), 0, 2, 0, false)).toMatchObject({
      id: 1,
      score: 5,
    });
  });

  it('with carry, names a carried score and the slice of its visit when nothing was visited', () => {
    const h = gridOf([
      [N, 4],
      [N, N],
    ]);
    expect(blockShown(h, Uint32Array.of(0, 1), 0, 2, 1, false)).toMatchObject({ visitSlice: -1 });
    expect(blockShown(h, Uint32Array.of(0, 1), 0, 2, 1, true)).toEqual({
      id: 1,
      score: 4,
      visitSlice: 0,
    });
    const nan = gridOf([[NAN_VISIT]]);
    expect(blockShown(nan, Uint32Array.of(0), 0, 1, 0, false)).toEqual({
      id: 0,
      score: N,
      visitSlice: 0,
    });
  });
});
