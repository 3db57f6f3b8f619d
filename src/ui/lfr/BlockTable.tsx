import type { ScheduleMirror } from '../../lfr/stream';
import { showBlock } from '../../store/lfrActions';
import type { LfrRole } from '../../worker/protocol';

const SHOWN = 5;

/** The hardest and easiest blocks by their latest score; a click shows one. */
export function BlockTable({ role, mirror }: { role: LfrRole; mirror: ScheduleMirror }) {
  const { scores } = mirror;
  const visited: number[] = [];
  for (let id = 0; id < scores.blockCount; id++) if (scores.visits(id) > 0) visited.push(id);
  visited.sort((a, b) => scores.lastScore(b) - scores.lastScore(a) || a - b);
  const rows =
    visited.length <= 2 * SHOWN
      ? visited
      : [...visited.slice(0, SHOWN), ...visited.slice(visited.length - SHOWN)];
  const cut = mirror.cut(mirror.currentPhase());
  const dropped = new Set(cut?.dropped ?? []);
  if (rows.length === 0) return null;
  return (
    <table className="lfr-blocks" data-testid="lfr-block-table">
      <caption>The hardest and the easiest blocks now (click one to read it)</caption>
      <thead>
        <tr>
          <th>block</th>
          <th>latest score</th>
          <th>visits</th>
          <th>now</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((id) => (
          <tr key={id} data-testid="lfr-block-row" data-id={id}>
            <td>
              <button type="button" className="link" onClick={() => void showBlock(role, id)}>
                #{id}
              </button>
            </td>
            <td>{scores.lastScore(id).toPrecision(4)}</td>
            <td>{scores.visits(id)}</td>
            <td>{dropped.has(id) ? 'dropped' : 'trained'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
