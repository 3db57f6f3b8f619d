import { memo, useDeferredValue } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import { OPTIMIZER_KINDS, OPTIMIZER_LABEL } from '../../store/finetuneSlice';
import { useStudio } from '../../store/store';
import { thin } from '../../store/trainingSlice';
import { finiteRange, linearAxis } from '../axisTicks';

/**
 * Adam blue and RITE orange: the training chart's pair, told apart with red-green blindness;
 * the keys' text uses them too, so each has at least 4.5:1 contrast on white.
 */
export const OPTIMIZER_COLOR = { adam: '#2f5fd0', rite: '#b4531d' } as const;

const MAX_POINTS = 400;

/** Both optimizers' training loss per step on one chart, redrawn only when the curves grow. */
export function LossCurves() {
  const version = useDeferredValue(useStudio((s) => s.finetuneVersion));
  const steps = useStudio((s) => s.finetuneRun.steps);
  return <Chart version={version} steps={steps} />;
}

// `version` is only compared by memo: a new version means the curves grew (in place).
const Chart = memo(function Chart({ steps }: { version: number; steps: number }) {
  const { finetuneCurves: curves, finetuneRun } = useStudio.getState();
  const rates = finetuneRun.rates;
  const shown = OPTIMIZER_KINDS.filter((k) => curves[k].length > 0);
  const drawn = shown.map((k) => thin(curves[k], MAX_POINTS));
  const loss = linearAxis(...finiteRange(drawn.flatMap((c) => c.map((p) => p.loss))), 5, {
    minDigits: 2,
  });
  return (
    <figure
      data-testid="finetune-loss-chart"
      data-adam-points={curves.adam.length}
      data-rite-points={curves.rite.length}
    >
      <figcaption>
        Training loss (nats per token) at each step, same seed and batches:{' '}
        {OPTIMIZER_KINDS.map((k) => (
          <span
            key={k}
            className="key"
            data-testid={`finetune-legend-${k}`}
            style={{ color: OPTIMIZER_COLOR[k] }}
          >
            {OPTIMIZER_LABEL[k]}
            {rates[k] !== undefined && ` (peak lr ${rates[k]})`}{' '}
          </span>
        ))}
      </figcaption>
      <ResponsiveContainer width="100%" height={220}>
        <LineChart margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis
            dataKey="step"
            type="number"
            domain={[0, Math.max(1, steps)]}
            allowDecimals={false}
          />
          <YAxis
            width={loss.width}
            domain={loss.domain}
            ticks={loss.ticks}
            interval={0}
            tickFormatter={loss.format}
          />
          {shown.map((k, i) => (
            <Line
              key={k}
              data={drawn[i]}
              dataKey="loss"
              name={OPTIMIZER_LABEL[k]}
              stroke={OPTIMIZER_COLOR[k]}
              dot={false}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
});
