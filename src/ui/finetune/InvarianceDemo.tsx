import { CartesianGrid, Line, LineChart, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import { chooseFinetune, runInvarianceDemo } from '../../store/finetuneActions';
import {
  type FinetuneFieldKey,
  MATRIX_LABEL,
  OPTIMIZER_KINDS,
  OPTIMIZER_LABEL,
  selectFinetuneReady,
} from '../../store/finetuneSlice';
import { useStudio } from '../../store/store';
import type { InvarianceMatrixKind, InvarianceSeries } from '../../worker/protocol';
import { logAxis } from '../axisTicks';
import { LinkedField } from '../share/linkRule';
import { FinetuneField } from './FinetuneSettings';
import { OPTIMIZER_COLOR } from './LossCurves';

const FIELDS: { key: FinetuneFieldKey; label: string; hint: string }[] = [
  { key: 'matrixSeed', label: 'S seed', hint: 'Draws the random kinds of S.' },
  { key: 'demoSteps', label: 'demo steps', hint: 'Steps of each of the four runs; 3 to 20.' },
];

// Log axis: a difference of exactly 0 (no rounding at all) has no place on it, so it is left out.
const positive = (series: readonly InvarianceSeries[]) =>
  series.flatMap((s) => s.diffs.filter((d) => d > 0));

function chartRows(series: readonly InvarianceSeries[]) {
  const steps = Math.max(0, ...series.map((s) => s.diffs.length));
  return Array.from({ length: steps }, (_, i) => {
    const row: Record<string, number | null> = { step: i + 1 };
    for (const s of series) row[s.kind] = s.diffs[i] > 0 ? s.diffs[i] : null;
    return row;
  });
}

const extent = (s: InvarianceSeries | undefined, pick: (...v: number[]) => number) =>
  s && s.diffs.length > 0 ? pick(...s.diffs) : undefined;

/**
 * The relative difference of Z after each step, per optimizer, as far as the series go: it grows
 * while the demo runs (and while a recording replays it).
 */
export function InvarianceChart({ series }: { series: readonly InvarianceSeries[] }) {
  const adam = series.find((s) => s.kind === 'adam');
  const rite = series.find((s) => s.kind === 'rite');
  const cond = series[0]?.cond;
  const diffs = positive(series);
  const diffAxis = diffs.length > 0 ? logAxis(Math.min(...diffs), Math.max(...diffs)) : undefined;
  return (
    <figure
      data-testid="invariance-chart"
      data-adam-min={extent(adam, Math.min)}
      data-adam-max={extent(adam, Math.max)}
      data-rite-max={extent(rite, Math.max)}
      data-cond={cond}
      data-points={series.reduce((n, s) => n + s.diffs.length, 0)}
    >
      <figcaption>
        ‖Z₁ − Z₂‖ / ‖Z₁‖ after each step (log scale), S with cond(S) = {cond?.toPrecision(3)}:{' '}
        {OPTIMIZER_KINDS.map((k) => (
          <span key={k} className="key" style={{ color: OPTIMIZER_COLOR[k] }}>
            {OPTIMIZER_LABEL[k]}{' '}
          </span>
        ))}
      </figcaption>
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={chartRows(series)} margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis dataKey="step" type="number" domain={[1, 'dataMax']} allowDecimals={false} />
          <YAxis
            width={Math.max(52, diffAxis?.width ?? 0)}
            scale="log"
            domain={diffAxis?.domain ?? ['auto', 'auto']}
            ticks={diffAxis?.ticks}
            interval={0}
            tickFormatter={diffAxis?.format}
          />
          {series.map((s) => (
            <Line
              key={s.kind}
              dataKey={s.kind}
              name={OPTIMIZER_LABEL[s.kind]}
              stroke={OPTIMIZER_COLOR[s.kind]}
              dot={{ r: 3 }}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
      <p className="finetune-explain" data-testid="invariance-explain">
        Largest difference here:{' '}
        {series
          .map((s) => `${OPTIMIZER_LABEL[s.kind]} ${extent(s, Math.max)?.toExponential(1)}`)
          .join(', ')}
        . Both runs start from the same product Z. A transformation-invariant optimizer keeps its
        two copies at float32 rounding, orders of magnitude below Adam’s drift: LoRA-RITE’s update
        depends on Z alone, Adam’s on how Z is split into A and B. RITE’s gap is about 1e-5 ×
        cond(S) while the gradient’s second moment is well conditioned; its preconditioner whitens
        the gradient and so scales float32 rounding up with that moment’s condition number (to about
        1e-2 on real text at rank 4), an effect of float32, not of the method.
      </p>
    </figure>
  );
}

/**
 * The same fine-tune from (A, B) and from (A S, B S^-T): Z = A B^T starts equal, and a
 * transformation-invariant optimizer keeps it so. The relative difference of Z after each step.
 */
export function InvarianceDemo({ disabled }: { disabled: boolean }) {
  const matrix = useStudio((s) => s.finetuneForm.matrix);
  const demo = useStudio((s) => s.invariance);
  const ready = useStudio(selectFinetuneReady);
  return (
    <section
      className="finetune-invariance"
      data-testid="invariance-demo"
      data-status={demo.status}
    >
      <h3>Invariance demo</h3>
      <p className="muted">
        Runs the form’s fine-tune twice per optimizer: from the initial adapters (A, B) and from (A
        S, B S^-T), which have the same product Z = A Bᵀ, on the same batches.
      </p>
      <fieldset disabled={disabled}>
        <legend>S</legend>
        <LinkedField
          name="lora_s"
          id="finetune-matrix"
          render={(fixed) => (
            <>
              <label htmlFor="finetune-matrix">S</label>
              <select
                id="finetune-matrix"
                data-testid="finetune-matrix"
                value={matrix}
                disabled={fixed}
                aria-describedby={fixed ? 'finetune-matrix-fixed' : undefined}
                onChange={(e) =>
                  void chooseFinetune('matrix', e.target.value as InvarianceMatrixKind)
                }
              >
                {(Object.keys(MATRIX_LABEL) as InvarianceMatrixKind[]).map((k) => (
                  <option key={k} value={k}>
                    {MATRIX_LABEL[k]}
                  </option>
                ))}
              </select>
            </>
          )}
        />
        {FIELDS.map((f) => (
          <FinetuneField key={f.key} spec={f} disabled={disabled} />
        ))}
      </fieldset>
      <div className="toolbar">
        <button
          type="button"
          data-testid="invariance-button"
          disabled={!ready}
          onClick={() => void runInvarianceDemo()}
        >
          {demo.status === 'running' ? 'Running…' : 'Run the demo'}
        </button>
        {demo.status === 'running' && (
          <span className="muted">
            Adam’s two runs, then LoRA-RITE’s (its kernels compile first).
          </span>
        )}
      </div>
      {demo.error && (
        <p className="alert" role="alert" data-testid="invariance-error">
          {demo.error}
        </p>
      )}
      {demo.series.length > 0 && <InvarianceChart series={demo.series} />}
    </section>
  );
}
