import { Area, AreaChart, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import { classCountsOverTime, droppedForgottenAtReview } from '../../lfr/forgetting';
import type { ScheduleMirror } from '../../lfr/stream';

/** One colour per forgetting class in every view; each is 4.5:1 or more on white (key text, axe). */
export const CLASS_COLORS = {
  unchanged: '#4f6d8f',
  unlearned: '#687482',
  learned: '#17753a',
  forgotten: '#b4531d',
  multipleDescent: '#8e2bb0',
} as const;

const SERIES = [
  { key: 'unchanged', label: 'unchanged', color: CLASS_COLORS.unchanged },
  { key: 'unlearned', label: 'unlearned', color: CLASS_COLORS.unlearned },
  { key: 'learned', label: 'learned', color: CLASS_COLORS.learned },
  { key: 'forgotten', label: 'forgotten', color: CLASS_COLORS.forgotten },
  { key: 'multipleDescent', label: 'multiple descent', color: CLASS_COLORS.multipleDescent },
] as const;

/**
 * How many blocks are in each forgetting class after each time slice (by their scores so far),
 * and the dropped blocks Review caught: easy at Learn, worse at Review.
 */
export function ForgettingView({ mirror }: { mirror: ScheduleMirror }) {
  const width = mirror.scores.sliceWidth;
  const data = classCountsOverTime(mirror.scores).map((c, k) => ({ step: (k + 1) * width, ...c }));
  const caught = droppedForgottenAtReview(mirror);
  return (
    <figure data-testid="lfr-forgetting" data-slices={data.length}>
      <figcaption>
        Forgetting classes over time (blocks by their scores so far; a move counts past 5%):{' '}
        {SERIES.map((s) => (
          <span key={s.key} className="key" style={{ color: s.color }}>
            {s.label}{' '}
          </span>
        ))}
      </figcaption>
      <ResponsiveContainer width="100%" height={150}>
        <AreaChart data={data} margin={{ top: 4, right: 16, bottom: 0, left: 0 }}>
          <XAxis dataKey="step" type="number" domain={[0, 'dataMax']} />
          <YAxis width={40} allowDecimals={false} />
          {SERIES.map((s) => (
            <Area
              key={s.key}
              dataKey={s.key}
              name={s.label}
              stackId="classes"
              stroke={s.color}
              fill={s.color}
              isAnimationActive={false}
            />
          ))}
        </AreaChart>
      </ResponsiveContainer>
      {caught && (
        <p
          className="muted"
          data-testid="lfr-dropped-forgotten"
          data-dropped={caught.dropped}
          data-reviewed={caught.reviewed}
          data-forgotten={caught.forgotten.length}
        >
          Of the {caught.dropped} blocks the first Focus dropped as easy, Review has scored{' '}
          {caught.reviewed}; {caught.forgotten.length} of them were forgotten (Review score over
          their Learn score by more than 5%): the blocks Review is there to catch.
        </p>
      )}
    </figure>
  );
}
