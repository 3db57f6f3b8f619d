import { Bar, BarChart, ReferenceLine, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import { type CutDecision, PHASE_LABELS } from '../../lfr/schedule';
import type { ScheduleMirror } from '../../lfr/stream';
import { log10ValueAxis } from '../axisTicks';

const BINS = 30;

interface Bin {
  /** log10 of the bin's centre score. */
  x: number;
  count: number;
}

// Counts of the finite scores in BINS equal bins of log10(score).
function histogram(scores: ArrayLike<number>): { bins: Bin[]; lo: number; hi: number } {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!(s > 0 && Number.isFinite(s))) continue;
    lo = Math.min(lo, Math.log10(s));
    hi = Math.max(hi, Math.log10(s));
  }
  if (!(lo <= hi)) return { bins: [], lo: 0, hi: 1 };
  if (hi - lo < 1e-6) hi = lo + 1e-3;
  const width = (hi - lo) / BINS;
  const bins = Array.from({ length: BINS }, (_, i) => ({ x: lo + (i + 0.5) * width, count: 0 }));
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!(s > 0 && Number.isFinite(s))) continue;
    bins[Math.min(BINS - 1, Math.floor((Math.log10(s) - lo) / width))].count++;
  }
  return { bins, lo, hi };
}

function Histogram({
  testId,
  caption,
  scores,
  cut,
}: {
  testId: string;
  caption: string;
  scores: ArrayLike<number>;
  cut?: CutDecision;
}) {
  const { bins, lo, hi } = histogram(scores);
  const axis = log10ValueAxis(lo, hi, 5);
  const line = cut && Number.isFinite(cut.cutValue) ? Math.log10(cut.cutValue) : undefined;
  return (
    <figure
      data-testid={testId}
      data-cut-value={cut?.cutValue}
      data-dropped-count={cut?.dropped.length}
      data-kept-count={cut?.kept.length}
    >
      <figcaption>{caption}</figcaption>
      <ResponsiveContainer width="100%" height={150}>
        <BarChart data={bins} margin={{ top: 4, right: 16, bottom: 0, left: 0 }} barCategoryGap={0}>
          <XAxis
            dataKey="x"
            type="number"
            domain={axis.domain}
            ticks={axis.ticks}
            interval={0}
            tickFormatter={axis.format}
          />
          <YAxis width={40} allowDecimals={false} />
          <Bar dataKey="count" fill="#2f5fd0" isAnimationActive={false} />
          {line !== undefined && (
            <ReferenceLine x={line} stroke="#c0392b" strokeWidth={2} label="cut" />
          )}
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** The scores each Focus ranked, log scale, with its percentile line; before a cut, the latest scores. */
export function ScoreHistograms({ mirror }: { mirror: ScheduleMirror }) {
  const decisions = mirror.decisions();
  const phases = mirror.phases();
  if (decisions.length === 0) {
    const latest = Float64Array.from({ length: mirror.plan.blockCount }, (_, id) =>
      mirror.scores.lastScore(id),
    );
    return (
      <Histogram
        testId="lfr-histogram-latest"
        caption="Latest score (perplexity) of each visited block, log scale"
        scores={latest}
      />
    );
  }
  return (
    <>
      {decisions.map((c) => (
        <Histogram
          key={c.phase}
          testId={`lfr-histogram-${phases[c.phase].name}`}
          caption={`${PHASE_LABELS[phases[c.phase].name]}: ${PHASE_LABELS[phases[c.decidedBy].name]} scores (log scale); the line drops the easiest ${c.dropPercent}% (${c.dropped.length} blocks, up to ${c.cutValue.toPrecision(4)})`}
          scores={c.scores}
          cut={c}
        />
      ))}
    </>
  );
}
