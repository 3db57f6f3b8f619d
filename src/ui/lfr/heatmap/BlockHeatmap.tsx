import { type MouseEvent, useEffect, useRef, useState } from 'react';
import { PHASE_LABELS } from '../../../lfr/schedule';
import { formatCount } from '../../format';
import { type LogScale, legendGradient, legendTicks, logScale } from './colorScale';
import type { HeatmapSort } from './heatmapLayout';
import {
  type HeatmapDrawn,
  type HeatmapFrame,
  type HeatmapHit,
  HeatmapRenderer,
} from './heatmapRenderer';

export type { HeatmapSort } from './heatmapLayout';
export type { HeatmapPhase } from './heatmapRenderer';

/**
 * The block x time heatmap. Plain data in, like HeatmapFrame: the arrays may change in place, and
 * a new `version` says they did. A redraw happens at the next animation frame after `version`,
 * `sort`, `highlight`, `phases` or the size changes (several changes in one frame draw once).
 */
export interface BlockHeatmapProps extends Omit<HeatmapFrame, 'highlight' | 'scaleFromStep'> {
  onSortChange: (sort: HeatmapSort) => void;
  /** What 'score now' ranks by, for its hint. */
  scoreHint: string;
  /** The step the colour scale starts from when it leaves out the first steps' scores. */
  scaleStartStep: number;
  /** A block id to outline (e.g. the one whose details are open), or null. */
  highlight?: number | null;
  /** Called with the id of the block under the pointer on click. */
  onBlockClick?: (id: number) => void;
  /** Canvas height in CSS pixels; default 360. */
  height?: number;
}

const SORTS: { value: HeatmapSort; label: string }[] = [
  { value: 'id', label: 'id' },
  { value: 'score', label: 'score now' },
  { value: 'status', label: 'status' },
];

const formatScore = (v: number) =>
  v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);

const stepsOf = (slice: number, width: number) =>
  width === 1 ? `step ${slice}` : `steps ${slice * width}-${(slice + 1) * width - 1}`;

function tipText(hit: HeatmapHit, focusNames: readonly string[]): string {
  const width = hit.lastStep - hit.firstStep + 1;
  const score = Number.isNaN(hit.score) ? 'NaN' : formatScore(hit.score);
  let what: string;
  if (hit.visitSlice === hit.slice) what = `score ${score}`;
  else if (hit.droppedBy >= 0) what = `not visited: dropped by ${focusNames[hit.droppedBy]}`;
  else if (hit.visitSlice >= 0) {
    what = `not visited here; score ${score} carried from ${stepsOf(hit.visitSlice, width)}`;
  } else what = 'not visited in this slice';
  const shared = hit.rowsInPixel > 1 ? ` (highest of ${hit.rowsInPixel} blocks in this row)` : '';
  return `block ${hit.id}, slice ${hit.slice} (${stepsOf(hit.slice, width)}): ${what}${shared}`;
}

/** The heatmap with its sort control, hover readout and colour legend. */
export function BlockHeatmap(props: BlockHeatmapProps) {
  const { version, sort, onSortChange, highlight, onBlockClick, height = 360 } = props;
  const [carry, setCarry] = useState(false);
  const [skipStart, setSkipStart] = useState(true);
  const options = useRef({ carry, skipStart });
  options.current = { carry, skipStart };
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const renderer = useRef<HeatmapRenderer | null>(null);
  const [scale, setScale] = useState<LogScale>(() => logScale(1, 1));
  const [tip, setTip] = useState<{ x: number; y: number; text: string } | null>(null);
  const [droppedRows, setDroppedRows] = useState(0);
  // The latest props, read by the renderer's frame callback.
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    const el = canvas.current!;
    const onDrawn = (d: HeatmapDrawn) => {
      el.dataset.version = String(d.version);
      el.dataset.droppedRows = String(d.droppedRows);
      el.dataset.bands = String(d.bands);
      el.dataset.focusDropped = d.focusDropped.join(',');
      el.dataset.scaleLo = String(d.scale.lo);
      el.dataset.scaleHi = String(d.scale.hi);
      setScale((s) => (s.lo === d.scale.lo && s.hi === d.scale.hi ? s : d.scale));
      setDroppedRows(d.droppedRows);
    };
    const r = new HeatmapRenderer(el, onDrawn);
    renderer.current = r;
    const resize = () => {
      const box = wrap.current!.getBoundingClientRect();
      r.setSize(box.width, box.height, window.devicePixelRatio || 1);
      r.request(frameOf(latest.current, options.current));
    };
    const observer = new ResizeObserver(resize);
    observer.observe(wrap.current!);
    resize();
    return () => {
      observer.disconnect();
      r.dispose();
      renderer.current = null;
    };
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: these props say when to redraw; the frame reads the latest of all of them
  useEffect(() => {
    renderer.current?.request(frameOf(latest.current, options.current));
  }, [
    version,
    sort,
    highlight,
    props.phases,
    props.grid,
    props.dropped,
    props.focusDrops,
    carry,
    skipStart,
  ]);

  const hitAt = (e: MouseEvent<HTMLCanvasElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - box.left;
    const y = e.clientY - box.top;
    return { x, y, hit: renderer.current?.hit(x, y) ?? null };
  };
  const onMove = (e: MouseEvent<HTMLCanvasElement>) => {
    const { x, y, hit } = hitAt(e);
    setTip(hit ? { x, y, text: tipText(hit, focusNames(props)) } : null);
  };
  const onClick = (e: MouseEvent<HTMLCanvasElement>) => {
    const { hit } = hitAt(e);
    if (hit) onBlockClick?.(hit.id);
  };

  const ticks = legendTicks(scale);
  const empty = scale.lo === 1 && scale.hi === 1;
  return (
    <figure className="heatmap" data-testid="block-heatmap" data-sort={sort}>
      <figcaption>
        Every block (a row) over training time (columns): colour is its perplexity at its last visit
        in the slice, on a log scale; blank where it was not visited, tinted red where a Focus
        dropped it. Phases run along the top.
      </figcaption>
      <fieldset className="heatmap-sort">
        <legend>Rows by</legend>
        {SORTS.map((s) => (
          <label key={s.value}>
            <input
              type="radio"
              name="heatmap-sort"
              value={s.value}
              checked={sort === s.value}
              onChange={() => onSortChange(s.value)}
            />{' '}
            {s.label}
          </label>
        ))}
        <span className="hint">
          {sort === 'score'
            ? props.scoreHint
            : sort === 'status'
              ? 'multiple descent, forgotten, learned, unlearned, unchanged, then unvisited'
              : 'block id, from 0'}
        </span>
      </fieldset>
      <fieldset className="heatmap-sort">
        <legend>Show</legend>
        <label>
          <input
            type="checkbox"
            data-testid="heatmap-skip-start"
            checked={skipStart}
            onChange={(e) => setSkipStart(e.target.checked)}
          />{' '}
          colour scale from step {props.scaleStartStep} on (the first steps score near the
          vocabulary size)
        </label>
        <label>
          <input
            type="checkbox"
            data-testid="heatmap-carry"
            checked={carry}
            onChange={(e) => setCarry(e.target.checked)}
          />{' '}
          carry each score into the slices after its visit (faded)
        </label>
      </fieldset>
      <div className="heatmap-canvas" ref={wrap} style={{ height }}>
        <canvas
          ref={canvas}
          role="img"
          aria-label={`Block heatmap of ${formatCount(props.grid.blockCount)} blocks over ${props.grid.slices} time slices`}
          onPointerMove={onMove}
          onPointerLeave={() => setTip(null)}
          onClick={onClick}
        />
        {tip && (
          <div className="heatmap-tip" style={{ left: tip.x + 12, top: tip.y + 12 }}>
            {tip.text}
          </div>
        )}
      </div>
      <div className="heatmap-legend">
        <span>score (perplexity, log)</span>
        {empty ? (
          <span className="muted">no score yet</span>
        ) : (
          <span className="heatmap-ramp-wrap">
            <span className="heatmap-ramp" style={{ background: legendGradient() }} />
            <span className="heatmap-ticks">
              {ticks.map((t) => (
                <span key={t}>{formatScore(t)}</span>
              ))}
            </span>
          </span>
        )}
        <span>
          <span className="heatmap-swatch blank" /> not visited
        </span>
        <span>
          <span className="heatmap-swatch nan" /> NaN score
        </span>
        {carry && (
          <span>
            <span className="heatmap-swatch carried" /> carried, not visited
          </span>
        )}
        <span>
          <span className="heatmap-swatch dropped-tint" /> dropped by that Focus
        </span>
        <span>
          <span className="heatmap-swatch dropped" /> (left strip) dropped by the current Focus
          {droppedRows > 0 && ` (${formatCount(droppedRows)} blocks)`}
        </span>
      </div>
    </figure>
  );
}

// The phase label of each Focus in focusDrops, for the tip.
function focusNames(p: BlockHeatmapProps): string[] {
  return (p.focusDrops ?? []).map((d) => {
    const phase = p.phases.find((ph) => ph.startStep === d.startStep);
    return phase ? PHASE_LABELS[phase.name] : 'a Focus';
  });
}

function frameOf(
  p: BlockHeatmapProps,
  options: { carry: boolean; skipStart: boolean },
): HeatmapFrame {
  return {
    grid: p.grid,
    version: p.version,
    dirtyFromSlice: p.dirtyFromSlice,
    lastScores: p.lastScores,
    dropped: p.dropped,
    focusDrops: p.focusDrops,
    carry: options.carry,
    scaleFromStep: options.skipStart ? p.scaleStartStep : 0,
    statuses: p.statuses,
    phases: p.phases,
    sort: p.sort,
    highlight: p.highlight,
  };
}
