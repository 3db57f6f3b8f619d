import { rankedIds, rankingAt } from '../../lfr/ranking';
import { PHASE_LABELS } from '../../lfr/schedule';
import type { ScheduleMirror } from '../../lfr/stream';
import { showBlock } from '../../store/lfrActions';
import type { LfrRole } from '../../worker/protocol';

const SHOWN = 5;

/**
 * The hardest and easiest blocks now, ranked by scores of one age (those that decided the current
 * Focus, else this phase's own), each with the step it was scored at; a click shows one.
 */
export function BlockTable({ role, mirror }: { role: LfrRole; mirror: ScheduleMirror }) {
  const phase = mirror.currentPhase();
  const ranking = rankingAt(mirror, phase);
  const ranked = rankedIds(ranking);
  const rows =
    ranked.length <= 2 * SHOWN
      ? ranked
      : [...ranked.slice(0, SHOWN), ...ranked.slice(ranked.length - SHOWN)];
  const cut = mirror.cut(phase);
  const dropped = new Set(cut?.dropped ?? []);
  if (rows.length === 0) return null;
  const phases = mirror.phases();
  const basis =
    ranking.decidedBy !== null
      ? `the ${PHASE_LABELS[phases[ranking.decidedBy].name]} scores that decided this ${PHASE_LABELS[phases[phase].name]}`
      : `scores from this ${PHASE_LABELS[phases[phase].name]} phase (${ranked.length} of ${mirror.plan.blockCount} blocks visited in it so far)`;
  return (
    <table
      className="lfr-blocks"
      data-testid="lfr-block-table"
      data-basis={ranking.basis}
      data-ranked={ranked.length}
    >
      <caption>The hardest and the easiest blocks now, by {basis} (click one to read it)</caption>
      <thead>
        <tr>
          <th>block</th>
          <th>score</th>
          <th>scored at step</th>
          <th>visits</th>
          <th>now</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((id) => (
          <tr
            key={id}
            data-testid="lfr-block-row"
            data-id={id}
            data-step={ranking.steps[id]}
            data-score={ranking.scores[id]}
          >
            <td>
              <button type="button" className="link" onClick={() => void showBlock(role, id)}>
                #{id}
              </button>
            </td>
            <td>{Number.isNaN(ranking.scores[id]) ? 'NaN' : ranking.scores[id].toPrecision(4)}</td>
            <td>{ranking.steps[id] >= 0 ? ranking.steps[id] : 'unknown'}</td>
            <td>{mirror.scores.visits(id)}</td>
            <td>{dropped.has(id) ? 'dropped' : 'trained'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
