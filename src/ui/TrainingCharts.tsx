import { memo, useDeferredValue } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import { useStudio } from '../store/store';
import { niceTicks, selectHistoryVersion, thin } from '../store/trainingSlice';
import { finiteRange, linearAxis } from './axisTicks';
import { downloadText } from './lfr/download';
import { lossesJson } from './lossesExport';
import { DownloadRecording } from './replay/DownloadRecording';

/** Points drawn per series: enough for a smooth curve, few enough to redraw in a frame. */
const MAX_CHART_POINTS = 400;

/**
 * Training loss at every step and validation loss at its steps, then the learning rate. Mounted
 * before any run (recharts' first render is its dearest), redrawn only when the history grows;
 * the axes get their ticks given (interval 0) so recharts measures no tick text.
 */
export function TrainingCharts() {
  // The history grows in place; its version says when. Deferred, so React redraws the charts
  // in an interruptible background render instead of one long task per progress event.
  const version = useDeferredValue(useStudio(selectHistoryVersion));
  const maxSteps = useDeferredValue(useStudio((s) => s.run.maxSteps));
  return <Charts version={version} maxSteps={maxSteps} />;
}

// `version` is only compared by memo: a new version means the history grew.
const Charts = memo(function Charts({ maxSteps }: { version: number; maxSteps: number }) {
  const history = useStudio.getState().history;
  const steps = thin(history.steps, MAX_CHART_POINTS);
  const val = thin(history.val, MAX_CHART_POINTS);
  const xTicks = niceTicks(0, Math.max(1, maxSteps), 6);
  const domain: [number, number] = [0, xTicks[xTicks.length - 1]];
  const [lossLo, lossHi] = finiteRange([...steps.map((p) => p.loss), ...val.map((p) => p.loss)]);
  const loss = linearAxis(lossLo, lossHi, 5, { minDigits: 2 });
  const lr = linearAxis(0, finiteRange(steps.map((p) => p.lr))[1], 3, { notation: 'exponential' });
  return (
    <div className="charts">
      <figure data-testid="loss-chart" data-points={history.steps.length}>
        <figcaption>
          Loss (cross-entropy, nats per token): <span className="key train">training</span> at each
          step, <span className="key val">validation</span> at each evaluation
        </figcaption>
        <ResponsiveContainer width="100%" height={240}>
          <LineChart margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#eef0f3" />
            <XAxis dataKey="step" type="number" domain={domain} ticks={xTicks} interval={0} />
            <YAxis
              width={loss.width}
              domain={loss.domain}
              ticks={loss.ticks}
              interval={0}
              tickFormatter={loss.format}
            />
            <Line
              data={steps}
              dataKey="loss"
              name="train loss"
              stroke="#2f5fd0"
              dot={false}
              isAnimationActive={false}
            />
            <Line
              data={val}
              dataKey="loss"
              name="validation loss"
              stroke="#d0672f"
              strokeWidth={2}
              dot={{ r: 3 }}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </figure>
      <figure data-testid="lr-chart">
        <figcaption>Learning rate: linear warmup, then cosine decay to the minimum</figcaption>
        <ResponsiveContainer width="100%" height={110}>
          <LineChart data={steps} margin={{ top: 4, right: 16, bottom: 0, left: 0 }}>
            <XAxis dataKey="step" type="number" domain={domain} ticks={xTicks} interval={0} />
            <YAxis
              width={lr.width}
              domain={lr.domain}
              ticks={lr.ticks}
              interval={0}
              tickFormatter={lr.format}
            />
            <Line
              dataKey="lr"
              name="learning rate"
              stroke="#17753a"
              dot={false}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </figure>
      <div className="toolbar">
        <button
          type="button"
          data-testid="download-losses"
          disabled={history.steps.length === 0}
          onClick={() =>
            downloadText(
              'losses.json',
              lossesJson(useStudio.getState().history),
              'application/json',
            )
          }
        >
          Download losses (JSON)
        </button>
        <span className="muted">
          every step's loss, learning rate and gradient norm, and the validation losses
        </span>
        <DownloadRecording />
      </div>
    </div>
  );
});
