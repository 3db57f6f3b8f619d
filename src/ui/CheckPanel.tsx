import { useShallow } from 'zustand/react/shallow';
import {
  failures,
  selectBench,
  selectChecks,
  selectPhase,
  selectResults,
  selectRunError,
  selectRunning,
  summarize,
} from '../store/checksSlice';
import { runKernelChecks } from '../store/gpuActions';
import { selectGpuReady } from '../store/gpuSlice';
import { useStudio } from '../store/store';
import type { CheckInfo, CheckResult } from '../worker/protocol';
import { formatError, formatMs, formatRatio } from './format';

function CheckRow({ info, result }: { info: CheckInfo; result: CheckResult | undefined }) {
  const status = result ? (result.pass ? 'pass' : 'fail') : 'pending';
  return (
    <tr data-testid="check-row" data-status={status} className={status}>
      <td>{info.kernel}</td>
      <td>{info.variant}</td>
      <td>
        <code>{info.shape}</code>
      </td>
      <td className="status" title={result?.error}>
        {status}
      </td>
      <td className="num">{result && !result.error ? formatError(result.maxAbsError) : ''}</td>
      <td className="num" title={`tolerance: ${info.tolerance}`}>
        {result && !result.error ? formatRatio(result.worstRatio) : ''}
      </td>
      <td className="tolerance" title={info.tolerance}>
        {info.tolerance}
      </td>
      <td className="num">{result ? formatMs(result.ms) : ''}</td>
    </tr>
  );
}

/** What a failure says: the kernel, the shape and the largest error, or why it could not run. */
function describeFailure(r: CheckResult): string {
  const where = `${r.kernel} ${r.variant} at ${r.shape}`;
  if (r.error) return `${where} threw: ${r.error}`;
  return (
    `${where}: largest error ${formatError(r.maxAbsError)}, ` +
    `worst ${formatRatio(r.worstRatio)}x its bound in ${r.worstOutput || 'the output'} (${r.tolerance})`
  );
}

function Failures() {
  const failed = useStudio(useShallow(failures));
  if (failed.length === 0) return null;
  return (
    <ul className="failures" data-testid="check-failures">
      {failed.map((r) => (
        <li key={`${r.kernel}|${r.variant}|${r.shape}`} data-testid="check-failure">
          <pre>{describeFailure(r)}</pre>
        </li>
      ))}
    </ul>
  );
}

function Bench() {
  const bench = useStudio(selectBench);
  const phase = useStudio(selectPhase);
  if (bench.length === 0 && phase !== 'benchmarking') return null;
  return (
    <div className="bench">
      <h3>Matmul speed on this GPU</h3>
      <ul data-testid="bench">
        {bench.map((b) => (
          <li key={b.n} data-testid="bench-line" data-ok={b.error ? 'false' : 'true'}>
            {b.error
              ? `n = ${b.n}: could not run: ${b.error}`
              : `n = ${b.n} (${b.n}×${b.n}×${b.n}): ${formatMs(b.ms)}, ${b.gflops.toFixed(2)} GFLOP/s`}
          </li>
        ))}
        {phase === 'benchmarking' && <li className="muted">measuring…</li>}
      </ul>
    </div>
  );
}

export function CheckPanel() {
  const checks = useStudio(selectChecks);
  const results = useStudio(selectResults);
  const phase = useStudio(selectPhase);
  const running = useStudio(selectRunning);
  const ready = useStudio(selectGpuReady);
  const runError = useStudio(selectRunError);
  const summary = useStudio(useShallow(summarize));

  return (
    <section
      className="panel"
      aria-labelledby="checks-title"
      data-testid="checks-panel"
      data-phase={phase}
    >
      <h2 id="checks-title">Check kernels</h2>
      <p className="muted">
        Runs every WGSL kernel on your GPU and compares it with a float64 CPU reference at awkward
        sizes; each error is held to a bound derived from f32 rounding. Then times the matmul
        kernel.
      </p>
      <div className="toolbar">
        <button
          type="button"
          data-testid="check-kernels"
          disabled={!ready || running || checks.length === 0}
          onClick={() => void runKernelChecks()}
        >
          {running ? 'Checking…' : 'Check kernels'}
        </button>
        <span data-testid="check-count" data-count={checks.length}>
          {checks.length} checks registered
        </span>
        {running && (
          <span className="progress">
            <progress
              data-testid="check-progress"
              value={phase === 'benchmarking' ? summary.total : summary.done}
              max={Math.max(1, summary.total)}
            />{' '}
            {phase === 'benchmarking'
              ? 'benchmarking matmul'
              : `${summary.done} / ${summary.total}`}
          </span>
        )}
      </div>
      {summary.done > 0 && (
        <p
          className={summary.failed > 0 ? 'summary bad' : 'summary good'}
          data-testid="check-summary"
          data-passed={summary.passed}
          data-failed={summary.failed}
        >
          {summary.passed} passed, {summary.failed} failed
          {summary.done < summary.total ? ` (${summary.total - summary.done} to go)` : ''}
        </p>
      )}
      {runError && (
        <div className="alert" role="alert" data-testid="run-error">
          The run stopped: {runError}
        </div>
      )}
      <Failures />
      <Bench />
      {results.length > 0 && (
        <div className="table-wrap">
          <table className="checks" data-testid="check-table">
            <thead>
              <tr>
                <th>Kernel</th>
                <th>Variant</th>
                <th>Shape</th>
                <th>Result</th>
                <th title="largest |gpu - reference| over every output">Max abs error</th>
                <th title="largest error divided by its bound; at most 1 passes">Error / bound</th>
                <th>Tolerance</th>
                <th>Time</th>
              </tr>
            </thead>
            <tbody>
              {checks.map((info, i) => (
                <CheckRow
                  key={`${info.kernel}|${info.variant}|${info.shape}`}
                  info={info}
                  result={results[i]}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
