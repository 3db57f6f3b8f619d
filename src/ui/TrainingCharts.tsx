import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useStudio } from '../store/store';
import { selectHistoryVersion, selectRun, thin } from '../store/trainingSlice';

/** Points drawn per series: enough for a smooth curve, few enough to redraw in a frame. */
const MAX_CHART_POINTS = 400;

const formatLoss = (v: number) => v.toFixed(2);
const formatLr = (v: number) => v.toExponential(1);

/** Training loss at every step and validation loss at its steps, then the learning rate. */
export function TrainingCharts() {
  // The history grows in place; its version says when, so only then does this redraw.
  useStudio(selectHistoryVersion);
  const history = useStudio((s) => s.history);
  const { maxSteps } = useStudio(selectRun);
  const steps = thin(history.steps, MAX_CHART_POINTS);
  const val = thin(history.val, MAX_CHART_POINTS);
  const domain: [number, number] = [0, Math.max(1, maxSteps)];
  return (
    <div className="charts">
      <figure data-testid="loss-chart" data-points={history.steps.length}>
        <figcaption>
          Loss (cross-entropy, nats per token): training at each step, validation every evaluation
        </figcaption>
        <ResponsiveContainer width="100%" height={240}>
          <LineChart margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#eef0f3" />
            <XAxis dataKey="step" type="number" domain={domain} allowDecimals={false} />
            <YAxis width={44} domain={['auto', 'auto']} tickFormatter={formatLoss} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? formatLoss(v) : v)} />
            <Legend />
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
            <XAxis dataKey="step" type="number" domain={domain} allowDecimals={false} />
            <YAxis width={44} tickFormatter={formatLr} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? formatLr(v) : v)} />
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
    </div>
  );
}
