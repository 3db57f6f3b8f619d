import {
  Bar,
  BarChart,
  CartesianGrid,
  ErrorBar,
  Line,
  LineChart,
  ResponsiveContainer,
  XAxis,
  YAxis,
} from 'recharts';
import { ARM_LABELS, LFR_ARMS } from '../../lfr/arms';
import { chooseComparisonArm, editComparisonSeeds, runComparison } from '../../store/lfrActions';
import {
  type ArmSummary,
  armSummary,
  type ComparisonRun,
  comparisonSeeds,
  selectComparison,
} from '../../store/lfrSlice';
import { useStudio } from '../../store/store';
import { selectRunLive, selectRunStarting } from '../../store/trainingSlice';
import type { LfrRole } from '../../worker/protocol';
import { formatCount, formatDuration } from '../format';
import { LfrExports } from './LfrExports';

const RUNS: { role: LfrRole; label: string; color: string }[] = [
  { role: 'lfr', label: 'LFR', color: '#2f5fd0' },
  { role: 'baseline', label: 'random, same tokens', color: '#d0672f' },
  { role: 'randomDrop', label: 'random drop, same s%', color: '#2f7d4a' },
  { role: 'noReview', label: 'LFR without Review', color: '#8a3fb8' },
];

const STATUS_TEXT = {
  idle: '',
  running: 'running…',
  done: 'done',
  stopped: 'stopped before every run finished',
  failed: 'failed',
};

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

function ResultRow({ label, run }: { label: string; run: ComparisonRun }) {
  const last = run.val[run.val.length - 1];
  return (
    <tr
      data-testid={`lfr-result-${run.role}`}
      data-seed={run.seed}
      data-val-loss={last?.loss}
      data-tokens={run.tokens}
    >
      <th scope="row">
        {label}, seed {run.seed}
      </th>
      <td>{formatCount(run.tokens)}</td>
      <td>{run.steps}</td>
      <td>{last ? last.loss.toFixed(3) : '–'}</td>
      <td>{last ? last.perplexity.toFixed(2) : '–'}</td>
      <td>{formatDuration(run.wallMs)}</td>
      <td>{run.state}</td>
    </tr>
  );
}

// An arm's final validation perplexity over its seeds: mean, spread and n.
function SummaryRow({ label, summary }: { label: string; summary: ArmSummary }) {
  return (
    <tr
      data-testid={`lfr-summary-${summary.role}`}
      data-n={summary.n}
      data-mean={summary.mean}
      data-sd={summary.sd}
    >
      <th scope="row">{label}</th>
      <td>{summary.n}</td>
      <td>{fmt(summary.mean)}</td>
      <td>{summary.n > 1 ? `${fmt(summary.min)} – ${fmt(summary.max)}` : '–'}</td>
      <td>{fmt(summary.sd)}</td>
    </tr>
  );
}

// Each arm's mean final perplexity, its whiskers the range over the seeds (none for one seed).
function SummaryChart({ summaries }: { summaries: (ArmSummary & { label: string })[] }) {
  const data = summaries
    .filter((a) => a.n > 0)
    .map((a) => ({
      label: a.label,
      mean: a.mean,
      range: a.n > 1 ? [a.mean - a.min, a.max - a.mean] : [0, 0],
    }));
  return (
    <figure data-testid="lfr-summary-chart" data-arms={data.length}>
      <figcaption>
        Final validation perplexity of each arm: the bar is the mean over the seeds that finished,
        the whiskers their lowest and highest.
      </figcaption>
      <ResponsiveContainer width="100%" height={160}>
        <BarChart data={data} margin={{ top: 4, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis dataKey="label" />
          <YAxis width={48} domain={[0, 'auto']} />
          <Bar dataKey="mean" fill="#9db3e8" isAnimationActive={false}>
            <ErrorBar dataKey="range" width={6} stroke="#1f2937" />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

/**
 * LFR against random sampling at equal tokens: the form's model trained twice from the same
 * seed, LFR first, then random batches for the LFR plan's token budget; for each seed asked.
 */
export function Comparison() {
  const comparison = useStudio(selectComparison);
  const busy = useStudio((s) => selectRunLive(s) || selectRunStarting(s));
  const ready = useStudio((s) => s.gpu?.ok === true && s.settingsErrors.length === 0);
  const arms = RUNS.filter((r) => comparison.runs.some((run) => run.role === r.role));
  const armOf = (role: LfrRole) => RUNS.find((r) => r.role === role)!;
  const seedsProblem = comparisonSeeds(comparison.seeds);
  const running = comparison.status === 'running';
  const summaries = arms.map((r) => ({ ...armSummary(comparison.runs, r.role), label: r.label }));
  return (
    <section
      className="lfr-comparison"
      data-testid="lfr-comparison"
      data-status={comparison.status}
    >
      <h4>LFR against random at equal tokens</h4>
      <div className="toolbar">
        <label>
          seeds{' '}
          <input
            type="number"
            min={1}
            data-testid="lfr-compare-seeds"
            value={comparison.seeds}
            onChange={(e) => editComparisonSeeds(e.target.value)}
            style={{ width: '4rem' }}
          />
        </label>
        {LFR_ARMS.filter((a) => a !== 'lfr').map((arm) => (
          <label key={arm}>
            <input
              type="checkbox"
              data-testid={`lfr-compare-arm-${arm}`}
              checked={comparison.arms.includes(arm)}
              disabled={running}
              onChange={(e) => chooseComparisonArm(arm, e.target.checked)}
            />{' '}
            {ARM_LABELS[arm]}
          </label>
        ))}
        <button
          type="button"
          data-testid="lfr-compare-button"
          disabled={!ready || busy || running || !seedsProblem.ok}
          onClick={() => void runComparison()}
        >
          Compare with random
        </button>
        <span className="muted">
          Trains this model with LFR, then each arm ticked for the same tokens and seed: random
          batches; LFR's phases with each cut a random s% (no scores); LFR with Review's budget
          spent on the first Focus's blocks. For each seed from the form's.{' '}
          {STATUS_TEXT[comparison.status]}
        </span>
      </div>
      {comparison.error && (
        <p className="alert" role="alert" data-testid="lfr-comparison-error">
          {comparison.error}
        </p>
      )}
      {!seedsProblem.ok && (
        <p className="alert" role="alert">
          {seedsProblem.message}
        </p>
      )}
      {arms.length > 0 && (
        <>
          <figure data-testid="lfr-comparison-chart">
            <figcaption>
              Validation perplexity against tokens trained:{' '}
              {arms.map((r) => (
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
                {comparison.runs.map((run) => (
                  <Line
                    key={`${run.role}-${run.seed}`}
                    data={run.val}
                    dataKey="perplexity"
                    name={`${armOf(run.role).label}, seed ${run.seed}`}
                    stroke={armOf(run.role).color}
                    dot={{ r: 2 }}
                    isAnimationActive={false}
                  />
                ))}
              </LineChart>
            </ResponsiveContainer>
          </figure>
          <SummaryChart summaries={summaries} />
          <table className="lfr-results" data-testid="lfr-summary">
            <caption>Final validation perplexity over the seeds that finished</caption>
            <thead>
              <tr>
                <th>run</th>
                <th>seeds</th>
                <th>mean</th>
                <th>range</th>
                <th>standard deviation</th>
              </tr>
            </thead>
            <tbody>
              {summaries.map((s) => (
                <SummaryRow key={s.role} label={s.label} summary={s} />
              ))}
            </tbody>
          </table>
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
              {comparison.runs.map((run) => (
                <ResultRow
                  key={`${run.role}-${run.seed}`}
                  label={armOf(run.role).label}
                  run={run}
                />
              ))}
            </tbody>
          </table>
          {arms.map((r) => (
            <div key={r.role}>
              <span className="muted">{r.label} run's files (the last seed's): </span>
              <LfrExports role={r.role} />
            </div>
          ))}
        </>
      )}
    </section>
  );
}
