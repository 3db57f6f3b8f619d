import { CartesianGrid, Line, LineChart, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import { runComparison } from '../../store/lfrActions';
import { type ComparisonRun, selectComparison } from '../../store/lfrSlice';
import { useStudio } from '../../store/store';
import { selectRunLive, selectRunStarting } from '../../store/trainingSlice';
import type { LfrRole } from '../../worker/protocol';
import { formatCount, formatDuration } from '../format';
import { LfrExports } from './LfrExports';

const RUNS: { role: LfrRole; label: string; color: string }[] = [
  { role: 'lfr', label: 'LFR', color: '#2f5fd0' },
  { role: 'baseline', label: 'random, same tokens', color: '#d0672f' },
];

const STATUS_TEXT = {
  idle: '',
  running: 'running…',
  done: 'done',
  stopped: 'stopped before both runs finished',
  failed: 'failed',
};

function ResultRow({ label, run }: { label: string; run: ComparisonRun }) {
  const last = run.val[run.val.length - 1];
  return (
    <tr data-testid={`lfr-result-${run.role}`} data-val-loss={last?.loss} data-tokens={run.tokens}>
      <th scope="row">{label}</th>
      <td>{formatCount(run.tokens)}</td>
      <td>{run.steps}</td>
      <td>{last ? last.loss.toFixed(3) : '–'}</td>
      <td>{last ? last.perplexity.toFixed(2) : '–'}</td>
      <td>{formatDuration(run.wallMs)}</td>
      <td>{run.state}</td>
    </tr>
  );
}

/**
 * LFR against random sampling at equal tokens: the form's model trained twice from the same
 * seed, LFR first, then random batches for the LFR plan's token budget.
 */
export function Comparison() {
  const comparison = useStudio(selectComparison);
  const busy = useStudio((s) => selectRunLive(s) || selectRunStarting(s));
  const ready = useStudio((s) => s.gpu?.ok === true && s.settingsErrors.length === 0);
  const runs = RUNS.filter((r) => comparison.runs[r.role]);
  return (
    <section
      className="lfr-comparison"
      data-testid="lfr-comparison"
      data-status={comparison.status}
    >
      <h4>LFR against random at equal tokens</h4>
      <div className="toolbar">
        <button
          type="button"
          data-testid="lfr-compare-button"
          disabled={!ready || busy || comparison.status === 'running'}
          onClick={() => void runComparison()}
        >
          Compare with random
        </button>
        <span className="muted">
          Trains this model with LFR, then with random batches for the same tokens and seed.{' '}
          {STATUS_TEXT[comparison.status]}
        </span>
      </div>
      {comparison.error && (
        <p className="alert" role="alert" data-testid="lfr-comparison-error">
          {comparison.error}
        </p>
      )}
      {runs.length > 0 && (
        <>
          <figure data-testid="lfr-comparison-chart">
            <figcaption>
              Validation perplexity against tokens trained:{' '}
              {runs.map((r) => (
                <span key={r.role} className="key" style={{ color: r.color }}>
                  {r.label}{' '}
                </span>
              ))}
            </figcaption>
            <ResponsiveContainer width="100%" height={180}>
              <LineChart margin={{ top: 4, right: 16, bottom: 0, left: 0 }}>
                <CartesianGrid stroke="#eef0f3" />
                <XAxis dataKey="tokens" type="number" domain={[0, 'dataMax']} />
                <YAxis width={48} domain={['auto', 'auto']} />
                {runs.map((r) => (
                  <Line
                    key={r.role}
                    data={comparison.runs[r.role]?.val}
                    dataKey="perplexity"
                    name={r.label}
                    stroke={r.color}
                    dot={{ r: 2 }}
                    isAnimationActive={false}
                  />
                ))}
              </LineChart>
            </ResponsiveContainer>
          </figure>
          <table className="lfr-results" data-testid="lfr-results">
            <thead>
              <tr>
                <th>run</th>
                <th>tokens</th>
                <th>steps</th>
                <th>final val loss</th>
                <th>perplexity</th>
                <th>wall time</th>
                <th>state</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <ResultRow key={r.role} label={r.label} run={comparison.runs[r.role]!} />
              ))}
            </tbody>
          </table>
          {runs.map((r) => (
            <div key={r.role}>
              <span className="muted">{r.label} run's files: </span>
              <LfrExports role={r.role} />
            </div>
          ))}
        </>
      )}
    </section>
  );
}
