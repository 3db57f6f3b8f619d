import './lfr.css';
import { ARM_LABELS } from '../../lfr/arms';
import { PHASE_LABELS } from '../../lfr/schedule';
import type { ScheduleMirror } from '../../lfr/stream';
import { selectLfrForm } from '../../store/lfrSlice';
import { useStudio } from '../../store/store';
import type { LfrRole } from '../../worker/protocol';
import { BlockDetails } from './BlockDetails';
import { BlockTable } from './BlockTable';
import { Comparison } from './Comparison';
import { ForgettingProfile } from './ForgettingProfile';
import { ForgettingView } from './ForgettingView';
import { LfrExports } from './LfrExports';
import { PhaseTimeline } from './PhaseTimeline';
import { RunHeatmap } from './RunHeatmap';
import { ScoreHistograms } from './ScoreHistogram';
import { useMirror } from './useMirror';

// `version` is read so the views redraw when the mirror grew (it changes in place).
function RunViews({
  role,
  mirror,
  version,
}: {
  role: LfrRole;
  mirror: ScheduleMirror;
  version: number;
}) {
  const phase = mirror.phases()[mirror.currentPhase()];
  const cut = mirror.cut(phase.index);
  return (
    <div
      className="lfr-run"
      data-testid="lfr-run"
      data-role={role}
      data-kind={mirror.plan.kind}
      data-phase={phase.name}
      data-steps={mirror.steps}
      data-cuts={mirror.decisions().length}
      data-dropped-count={cut?.dropped.length ?? 0}
    >
      <p className="muted">
        {ARM_LABELS[role].replace(/^./, (c) => c.toUpperCase())} run, now in{' '}
        <strong>{PHASE_LABELS[phase.name]}</strong>
        {cut && `, training on ${cut.kept.length} of ${mirror.plan.blockCount} blocks`}.
      </p>
      <PhaseTimeline mirror={mirror} />
      <RunHeatmap role={role} mirror={mirror} version={version} />
      <div className="charts">
        <ScoreHistograms mirror={mirror} />
        <ForgettingView mirror={mirror} />
      </div>
      <BlockTable role={role} mirror={mirror} />
      <BlockDetails mirror={mirror} />
      <LfrExports role={role} />
    </div>
  );
}

/** The LFR views of the latest scheduled run, and the comparison with random sampling. */
export function LfrSection() {
  const { role, mirror, version } = useMirror();
  const picked = useStudio(selectLfrForm).schedule === 'lfr';
  if (!picked && !role) return null;
  return (
    <section className="lfr" data-testid="lfr-section" aria-labelledby="lfr-title">
      <h3 id="lfr-title">LFR: Learn, Focus, Review</h3>
      {role && mirror ? (
        <RunViews role={role} mirror={mirror} version={version} />
      ) : (
        <p className="muted">
          The per-block views appear once an LFR run has taken its first step.
        </p>
      )}
      <Comparison />
      <ForgettingProfile />
    </section>
  );
}
