import { type MouseEvent, useEffect, useRef, useState } from 'react';
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
export interface BlockHeatmapProps extends Omit<HeatmapFrame, 'highlight'> {
  onSortChange: (sort: HeatmapSort) => void;
  /** A block id to outline (e.g. the one whose details are open), or null. */
  highlight?: number | null;
  /** Called with the id of the block under the pointer on click. */
  onBlockClick?: (id: number) => void;
  /** Canvas height in CSS pixels; default 360. */
  height?: number;
}

const SORTS: { value: HeatmapSort; label: string }[] = [
  { value: 'id', label: 'id' },
  { value: 'score', label: 'latest score' },
  { value: 'status', label: 'status' },
];

const formatScore = (v: number) =>
  v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);

function tipText(hit: HeatmapHit): string {
  const steps =
    hit.firstStep === hit.lastStep
      ? `step ${hit.firstStep}`
      : `steps ${hit.firstStep}-${hit.lastStep}`;
  const score = Number.isNaN(hit.score) ? 'not visited yet' : `score ${formatScore(hit.score)}`;
  const shared = hit.rowsInPixel > 1 ? ` (highest of ${hit.rowsInPixel} blocks in this row)` : '';
  return `block ${hit.id}, slice ${hit.slice} (${steps}): ${score}${shared}`;
}

/** The heatmap with its sort control, hover readout and colour legend. */
export function BlockHeatmap(props: BlockHeatmapProps) {
  const { version, sort, onSortChange, highlight, onBlockClick, height = 360 } = props;
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
      setScale((s) => (s.lo === d.scale.lo && s.hi === d.scale.hi ? s : d.scale));
      setDroppedRows(d.droppedRows);
    };
    const r = new HeatmapRenderer(el, onDrawn);
    renderer.current = r;
    const resize = () => {
      const box = wrap.current!.getBoundingClientRect();
      r.setSize(box.width, box.height, window.devicePixelRatio || 1);
      r.request(frameOf(latest.current));
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
    renderer.current?.request(frameOf(latest.current));
  }, [version, sort, highlight, props.phases, props.grid, props.dropped]);

  const hitAt = (e: MouseEvent<HTMLCanvasElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - box.left;
    const y = e.clientY - box.top;
    return { x, y, hit: renderer.current?.hit(x, y) ?? null };
  };
  const onMove = (e: MouseEvent<HTMLCanvasElement>) => {
    const { x, y, hit } = hitAt(e);
    setTip(hit ? { x, y, text: tipText(hit) } : null);
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
        Every block (a row) over training time (columns): colour is its perplexity at its last
        visit, on a log scale; blank until its first visit. Phases run along the top.
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
            ? 'hardest (highest latest score) on top, unvisited last'
            : sort === 'status'
              ? 'multiple descent, forgotten, learned, unlearned, then unvisited'
              : 'block id, from 0'}
        </span>
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
          <span className="heatmap-swatch blank" /> not visited yet
        </span>
        <span>
          <span className="heatmap-swatch dropped" /> dropped by the current Focus
          {droppedRows > 0 && ` (${formatCount(droppedRows)} blocks)`}
        </span>
      </div>
    </figure>
  );
}

function frameOf(p: BlockHeatmapProps): HeatmapFrame {
  return {
    grid: p.grid,
    version: p.version,
    dirtyFromSlice: p.dirtyFromSlice,
    lastScores: p.lastScores,
    dropped: p.dropped,
    statuses: p.statuses,
    phases: p.phases,
    sort: p.sort,
    highlight: p.highlight,
  };
}
