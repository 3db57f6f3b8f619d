// The invariance demo's series as they grow: the worker streams each step's Z difference, and the
// chart draws every step as it comes instead of waiting for the end.
import type { InvarianceStep } from '../worker/protocol';
import type { InvarianceView } from './finetuneSlice';

/**
 * The series with `step` appended, if it is the next step of its optimizer (a series starts at
 * step 1); anything else (a repeat, a gap) leaves the series as they were.
 */
export function appendInvarianceStep(
  series: InvarianceView['series'],
  step: InvarianceStep,
): InvarianceView['series'] {
  const at = series.findIndex((s) => s.kind === step.kind);
  const have = at < 0 ? 0 : series[at].diffs.length;
  if (step.step !== have + 1) return series;
  if (at < 0) return [...series, { kind: step.kind, diffs: [step.diff], cond: step.cond }];
  return series.map((s, i) => (i === at ? { ...s, diffs: [...s.diffs, step.diff] } : s));
}

/**
 * The demo after a streamed step: drawn while the demo runs. Comlink does not order callbacks
 * with the reply, so a step that arrives after the reply (which carried every series) is late and
 * changes nothing.
 */
export function streamedStep(view: InvarianceView, step: InvarianceStep): InvarianceView {
  if (view.status !== 'running') return view;
  const series = appendInvarianceStep(view.series, step);
  return series === view.series ? view : { ...view, series };
}
