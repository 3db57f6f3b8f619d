import { PHASE_LABELS, type PhaseSpan } from '../../lfr/schedule';
import type { ScheduleMirror } from '../../lfr/stream';
import { tokensPerStep } from '../../store/lfrSlice';
import { formatCount } from '../format';

function phaseState(p: PhaseSpan, steps: number): 'done' | 'current' | 'planned' {
  if (steps >= p.endStep) return 'done';
  return steps >= p.startStep ? 'current' : 'planned';
}

/**
 * The plan's phases along the token axis, how far the run is, and the random baseline's budget:
 * the same tokens in shuffled epochs over every block.
 */
export function PhaseTimeline({ mirror }: { mirror: ScheduleMirror }) {
  const { plan } = mirror;
  const perStep = tokensPerStep(plan);
  const total = plan.tokensPlanned;
  const pass = plan.blockCount * plan.blockSize;
  const used = Math.min(total, mirror.steps * perStep);
  const percent = (tokens: number) => `${(100 * tokens) / Math.max(1, total)}%`;
  return (
    <figure className="lfr-timeline" data-testid="lfr-timeline">
      <figcaption>
        Phases and tokens: {formatCount(used)} of {formatCount(total)} tokens trained (
        {(used / pass).toFixed(2)} of {(total / pass).toFixed(1)} passes over{' '}
        {formatCount(plan.blockCount)} blocks)
      </figcaption>
      <ol className="lfr-bar" aria-label="phases">
        {plan.phases.map((p) => (
          <li
            key={p.index}
            className={`lfr-phase ${phaseState(p, mirror.steps)}`}
            data-testid={`lfr-phase-${p.name}`}
            data-state={phaseState(p, mirror.steps)}
            data-start-step={p.startStep}
            data-end-step={p.endStep}
            data-kept={p.keptCount}
            style={{ width: percent(p.tokens) }}
            title={`${PHASE_LABELS[p.name]}: steps ${p.startStep} to ${p.endStep}, ${p.epochs.toFixed(2)} epochs over ${p.keptCount} blocks, ${formatCount(p.tokens)} tokens`}
          >
            {PHASE_LABELS[p.name]}
          </li>
        ))}
      </ol>
      <div className="lfr-now" style={{ marginLeft: percent(used) }} aria-hidden="true" />
      {plan.kind !== 'random' && (
        <ol className="lfr-bar baseline" aria-label="the random baseline">
          <li className="lfr-phase planned" style={{ width: '100%' }}>
            random baseline: the same {formatCount(total)} tokens, {(total / pass).toFixed(1)}{' '}
            shuffled epochs over every block
          </li>
        </ol>
      )}
    </figure>
  );
}
