import { chooseBlockSample, chooseSchedule, editLfrField } from '../../store/lfrActions';
import {
  LFR_FIELDS,
  type LfrFieldSpec,
  nominalPasses,
  plannedRun,
  runBlockCount,
  scheduleFromForm,
  selectLfrForm,
} from '../../store/lfrSlice';
import { useStudio } from '../../store/store';
import { LFR_URL_KEYS } from '../../store/urlSettings';
import { formatCount } from '../format';
import { describedBy, FixedNote, LinkedField, useLinkRule } from '../share/linkRule';

function LfrField({ spec, disabled }: { spec: LfrFieldSpec; disabled: boolean }) {
  const value = useStudio((s) => s.lfrForm.values[spec.key]);
  const id = `setting-lfr-${spec.key}`;
  const rule = useLinkRule(LFR_URL_KEYS[spec.key]);
  if (rule.hidden) return null;
  return (
    <div className="field">
      <label htmlFor={id}>{spec.label}</label>
      <input
        id={id}
        data-testid={id}
        type="text"
        inputMode="decimal"
        value={value}
        disabled={disabled || rule.fixed}
        aria-describedby={describedBy(id, rule.fixed)}
        onChange={(e) => editLfrField(spec.key, e.target.value)}
      />
      <span id={`${id}-hint`} className="hint">
        {spec.hint}
      </span>
      {rule.fixed && <FixedNote id={`${id}-fixed`} />}
    </div>
  );
}

/** Whether `blocks` takes the first N blocks (the default) or a random sample of N. */
function BlockSample() {
  const sample = useStudio((s) => s.lfrForm.sample === true);
  return (
    <div className="field">
      <label htmlFor="setting-lfr-sample">sample blocks</label>
      <input
        id="setting-lfr-sample"
        type="checkbox"
        data-testid="setting-lfr-sample"
        checked={sample}
        aria-describedby="setting-lfr-sample-hint"
        onChange={(e) => chooseBlockSample(e.target.checked)}
      />
      <span className="hint" id="setting-lfr-sample-hint">
        With blocks = N: N blocks drawn at random over the whole data (from the seed) instead of the
        first N.
      </span>
    </div>
  );
}

/** The run's length: the schedule's steps once the data is known, and its cost in passes. */
function Budget() {
  const form = useStudio(selectLfrForm);
  const batch = useStudio((s) => Number(s.form.batchSize));
  const accum = useStudio((s) => Number(s.form.gradAccumSteps));
  const blockSize = useStudio((s) => Number(s.form.blockSize));
  const summary = useStudio((s) => s.data.summary);
  const errors = useStudio((s) => s.settingsErrors.length > 0);
  const schedule = scheduleFromForm(form, 'lfr');
  const passes = nominalPasses(schedule.lfr);
  if (errors || !Number.isFinite(passes)) return null;
  const count = runBlockCount(schedule.maxBlocks, summary?.trainTokens, blockSize);
  const plan = plannedRun(schedule, count, batch, accum);
  return (
    <p
      className="muted"
      data-testid="lfr-budget"
      data-passes={plan?.passes ?? passes}
      data-steps={plan?.steps ?? ''}
    >
      Token budget: {(plan?.passes ?? passes).toFixed(1)} passes over the data
      {plan && count !== undefined
        ? `: ${formatCount(plan.steps)} steps over ${formatCount(count)} blocks (max steps is not used).`
        : '; the run lasts the schedule (max steps is not used), counted once the data is loaded.'}
    </p>
  );
}

/** The order the run trains in: random batches, or LFR's Learn, Focus, Review, Focus. */
export function LfrSettings({ disabled }: { disabled: boolean }) {
  const schedule = useStudio((s) => s.lfrForm.schedule);
  return (
    <fieldset className="fields" disabled={disabled} data-testid="lfr-settings">
      <legend>Data order</legend>
      <LinkedField
        name="schedule"
        id="setting-schedule"
        render={(fixed) => (
          <>
            <label htmlFor="setting-schedule">schedule</label>
            <select
              id="setting-schedule"
              data-testid="setting-schedule"
              value={schedule}
              disabled={fixed}
              aria-describedby={describedBy('setting-schedule', fixed)}
              onChange={(e) => chooseSchedule(e.target.value === 'lfr' ? 'lfr' : 'random')}
            >
              <option value="random">random batches</option>
              <option value="lfr">LFR: Learn, Focus, Review</option>
            </select>
            <span className="hint" id="setting-schedule-hint">
              LFR scores every block as it trains, drops the easiest, and reviews them all later
              (arXiv 2409.06131).
            </span>
          </>
        )}
      />
      {schedule === 'lfr' && (
        <>
          {LFR_FIELDS.map((f) => (
            <LfrField key={f.key} spec={f} disabled={disabled} />
          ))}
          <BlockSample />
          <Budget />
        </>
      )}
    </fieldset>
  );
}
