import { CartesianGrid, Line, LineChart, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import { classify } from '../../lfr/forgetting';
import type { ScheduleMirror } from '../../lfr/stream';
import { selectLfrBlock } from '../../store/lfrSlice';
import { useStudio } from '../../store/store';
import { finiteRange, logAxis } from '../axisTicks';

/** The clicked block: where it comes from, its text, and its score at each visited slice. */
export function BlockDetails({ mirror }: { mirror: ScheduleMirror }) {
  const block = useStudio(selectLfrBlock);
  if (!block || block.id >= mirror.plan.blockCount) return null;
  const width = mirror.scores.sliceWidth;
  const history = mirror.scores
    .historyOf(block.id)
    .map((h) => ({ step: h.slice * width, score: h.score }));
  const { cls } = classify(history.map((h) => h.score));
  const positive = history.map((h) => h.score).filter((x) => x > 0 && Number.isFinite(x));
  // No score yet (or only NaN ones): the axis still spans one decade so the empty chart draws.
  const scoreAxis = positive.length > 0 ? logAxis(...finiteRange(positive)) : logAxis(1, 10);
  return (
    <section
      className="lfr-block"
      data-testid="lfr-block-details"
      data-id={block.id}
      data-points={history.length}
      aria-label={`block ${block.id}`}
    >
      <h4>
        Block #{block.id}: {mirror.scores.visits(block.id)} visits, {cls}
        {block.text &&
          ` (document ${block.text.doc}, token ${block.text.offset}${block.text.lastDoc > block.text.doc ? ', runs into the next document' : ''})`}
      </h4>
      {block.error && (
        <p className="alert" role="alert">
          The block's text could not be read: {block.error}
        </p>
      )}
      <pre className="lfr-block-text" data-testid="lfr-block-text">
        {block.text?.text ?? 'loading…'}
      </pre>
      <ResponsiveContainer width="100%" height={120}>
        <LineChart data={history} margin={{ top: 4, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis dataKey="step" type="number" domain={[0, 'dataMax']} />
          <YAxis
            width={scoreAxis.width}
            scale="log"
            domain={scoreAxis.domain}
            ticks={scoreAxis.ticks}
            interval={0}
            tickFormatter={scoreAxis.format}
          />
          <Line dataKey="score" stroke="#2f5fd0" dot={{ r: 2 }} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </section>
  );
}
