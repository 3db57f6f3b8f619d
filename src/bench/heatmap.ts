// The heatmap benchmark (npm run bench:heatmap): the real renderer drawing a synthetic LFR run of
// 20,000 blocks x 500 time slices into a real canvas, for each row order.
//
// What a frame measures: the renderer's draw after a new data version (rescan, sort the rows,
// aggregate the grid into pixel rows, colour the ImageData, put it, drawImage it scaled, draw the
// overlays), then getImageData of one pixel, which makes the browser finish the canvas's pending
// drawing before it returns. Every frame bumps the version, so each frame redraws from the data.
// 'full' rescans every slice (the first draw, or after BlockScores merged its slices); 'live' is
// a training step's new scores landing in the last slice (dirtyFromSlice), the common case;
// 'composite' redraws the same data (a new highlight). No rAF wait: its 16.7 ms vsync would hide
// the cost. Frames are separated by a macrotask so the page keeps handling events during the run.
import { classify, FORGETTING_CLASSES } from '../lfr/forgetting';
import type { ScoreGrid } from '../lfr/scores';
import type { HeatmapSort } from '../ui/lfr/heatmap/heatmapLayout';
import {
  type HeatmapFrame,
  type HeatmapPhase,
  HeatmapRenderer,
} from '../ui/lfr/heatmap/heatmapRenderer';
import { Rng } from '../util/rng';
import { emit, runBench } from './report';

const BLOCKS = 20_000;
const SLICES = 500;
const FRAMES = 60;
const WARMUP = 3;

// A run shaped like LFR with one step per slice: Learn visits every block once in [0, 100),
// Focus the hardest half once in [100, 150), Review every block in [150, 250), Focus again the
// hardest 30% five times in [250, 500). A block's score: its difficulty, decaying with training,
// with 10% noise.
function syntheticRun(rng: Rng): Omit<HeatmapFrame, 'sort' | 'version'> {
  const data = new Float32Array(SLICES * BLOCKS).fill(Number.NaN);
  const difficulty = Float64Array.from({ length: BLOCKS }, () => Math.exp(3 + 0.6 * rng.normal()));
  const last = new Float32Array(BLOCKS);
  const visits: number[][] = Array.from({ length: BLOCKS }, () => []);
  const visit = (id: number, from: number, to: number) => {
    const k = from + rng.int(to - from);
    const score = difficulty[id] * Math.exp(-k / 400 + 0.1 * rng.normal());
    data[k * BLOCKS + id] = score;
    visits[id].push(k);
  };
  const hardest = (fraction: number) =>
    Uint32Array.from({ length: BLOCKS }, (_, i) => i)
      .sort((a, b) => last[b] - last[a] || a - b)
      .slice(0, Math.round(fraction * BLOCKS));
  const record = () => {
    for (let id = 0; id < BLOCKS; id++) {
      const ks = visits[id];
      last[id] = data[ks[ks.length - 1] * BLOCKS + id];
    }
  };
  for (let id = 0; id < BLOCKS; id++) visit(id, 0, 100);
  record();
  for (const id of hardest(0.5)) visit(id, 100, 150);
  for (let id = 0; id < BLOCKS; id++) visit(id, 150, 250);
  record();
  const kept = hardest(0.3);
  const dropped = new Uint8Array(BLOCKS).fill(1);
  for (const id of kept) dropped[id] = 0;
  for (let rep = 0; rep < 5; rep++)
    for (const id of kept) visit(id, 250 + 50 * rep, 300 + 50 * rep);
  const statuses = new Uint8Array(BLOCKS);
  for (let id = 0; id < BLOCKS; id++) {
    const ks = visits[id].sort((a, b) => a - b);
    const { cls } = classify(ks.map((k) => data[k * BLOCKS + id]));
    statuses[id] = FORGETTING_CLASSES.indexOf(cls);
  }
  record();
  const grid: ScoreGrid = { data, slices: SLICES, blockCount: BLOCKS, sliceWidth: 1 };
  const phases: HeatmapPhase[] = [
    { name: 'learn', startStep: 0, endStep: 100 },
    { name: 'focus', startStep: 100, endStep: 150 },
    { name: 'review', startStep: 150, endStep: 250 },
    { name: 'focusAgain', startStep: 250, endStep: 500 },
  ];
  return { grid, lastScores: last, dropped, statuses, phases, highlight: 123 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

const macrotask = () => new Promise((resolve) => setTimeout(resolve, 0));

async function main(): Promise<void> {
  // Let the page finish loading first (the runner waits for its load event).
  await macrotask();
  const canvas = document.getElementById('heatmap') as HTMLCanvasElement;
  const renderer = new HeatmapRenderer(canvas);
  renderer.setSize(canvas.clientWidth, canvas.clientHeight, 1);
  const ctx = canvas.getContext('2d')!;
  const run = syntheticRun(new Rng(1));
  const { data } = run.grid;
  const rng = new Rng(2);
  let version = 0;
  const time = async (frame: () => HeatmapFrame) => {
    const times: number[] = [];
    for (let f = 0; f < WARMUP + FRAMES; f++) {
      const t0 = performance.now();
      renderer.draw(frame());
      ctx.getImageData(0, 0, 1, 1);
      if (f >= WARMUP) times.push(performance.now() - t0);
      await macrotask();
    }
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    return {
      msPerFrame: mean,
      fps: 1000 / mean,
      medianMs: median(times),
      maxMs: Math.max(...times),
    };
  };
  const figures = { bench: 'heatmap', blocks: BLOCKS, slices: SLICES };
  // full: every slice rescanned, as on the first draw or after BlockScores merged its slices.
  for (const sort of ['id', 'score', 'status'] as HeatmapSort[]) {
    const t = await time(() => ({ ...run, sort, version: version++ }));
    emit({ ...figures, sort, redraw: 'full', ...t });
  }
  // live: a training step's 16 new scores land in the last slice, which alone is rescanned.
  for (const sort of ['id', 'score', 'status'] as HeatmapSort[]) {
    const t = await time(() => {
      for (let b = 0; b < 16; b++)
        data[(SLICES - 1) * BLOCKS + rng.int(BLOCKS)] = 10 + rng.uniform();
      return { ...run, sort, version: version++, dirtyFromSlice: SLICES - 1 };
    });
    emit({ ...figures, sort, redraw: 'live', ...t });
  }
  // composite: the same data redrawn (a new highlight): no sort, no aggregation.
  const fixed = version++;
  let highlight = 0;
  const t = await time(() => ({ ...run, sort: 'score', version: fixed, highlight: highlight++ }));
  emit({ ...figures, sort: 'score', redraw: 'composite', ...t });
}

runBench(main);
