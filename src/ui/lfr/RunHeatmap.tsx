import { useMemo, useState } from 'react';
import { classesNow, FORGETTING_CLASSES } from '../../lfr/forgetting';
import { rankingAt, sortKeys } from '../../lfr/ranking';
import { PHASE_LABELS } from '../../lfr/schedule';
import type { ScheduleMirror } from '../../lfr/stream';
import { showBlock } from '../../store/lfrActions';
import { selectLfrBlock } from '../../store/lfrSlice';
import { useStudio } from '../../store/store';
import type { LfrRole } from '../../worker/protocol';
import { BlockHeatmap, type HeatmapSort } from './heatmap/BlockHeatmap';
import { scaleStartStep } from './heatmap/heatmapLayout';
import type { FocusDrop } from './heatmap/heatmapRenderer';

// (blockCount) 1 for each id in `ids`.
function maskOf(blockCount: number, ids: Uint32Array): Uint8Array {
  const mask = new Uint8Array(blockCount);
  for (const id of ids) mask[id] = 1;
  return mask;
}

/** What 'score now' ranks by in the current phase. */
export function rankingHint(mirror: ScheduleMirror): string {
  const phase = mirror.currentPhase();
  const cut = mirror.cut(phase);
  const phases = mirror.phases();
  if (cut) {
    return `hardest on top by the ${PHASE_LABELS[phases[cut.decidedBy].name]} scores that decided this ${PHASE_LABELS[phases[phase].name]}`;
  }
  return `hardest on top by their score in this ${PHASE_LABELS[phases[phase].name]} phase; blocks not visited in it yet last`;
}

/**
 * The shown run's block x time heatmap: every Focus's dropped rows tinted in its span, the current
 * Focus's also in the strip, rows by the scores of the current phase.
 */
export function RunHeatmap({
  role,
  mirror,
  version,
}: {
  role: LfrRole;
  mirror: ScheduleMirror;
  version: number;
}) {
  const [sort, setSort] = useState<HeatmapSort>('id');
  const block = useStudio(selectLfrBlock);
  const phase = mirror.currentPhase();
  const cut = mirror.cut(phase);
  const n = mirror.plan.blockCount;
  const dropped = useMemo(() => (cut ? maskOf(n, cut.dropped) : null), [cut, n]);
  const cuts = mirror.decisions().length;
  // biome-ignore lint/correctness/useExhaustiveDependencies: cuts only grow; their count says when
  const focusDrops = useMemo<FocusDrop[]>(
    () =>
      mirror.decisions().map((c) => ({
        startStep: mirror.plan.phases[c.phase].startStep,
        endStep: mirror.plan.phases[c.phase].endStep,
        dropped: maskOf(n, c.dropped),
      })),
    [mirror, cuts, n],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: the mirror grows in place; version says when
  const lastScores = useMemo(
    () => (sort === 'score' ? sortKeys(rankingAt(mirror, phase)) : null),
    [sort, mirror, phase, version],
  );
  // Classes cost a pass over the whole history: only when the rows are sorted by them.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the mirror grows in place; version says when
  const statuses = useMemo(() => {
    if (sort !== 'status') return null;
    const index = new Map(FORGETTING_CLASSES.map((c, i) => [c, i]));
    return Uint8Array.from(classesNow(mirror.scores), (c) => index.get(c)!);
  }, [sort, mirror, version]);
  return (
    <div
      data-testid="lfr-heatmap"
      data-dropped-count={dropped ? cut!.dropped.length : 0}
      data-phase={mirror.phases()[phase].name}
    >
      <BlockHeatmap
        grid={mirror.scores.grid()}
        version={version}
        dropped={dropped}
        focusDrops={focusDrops}
        lastScores={lastScores}
        statuses={statuses}
        phases={mirror.plan.phases}
        sort={sort}
        onSortChange={setSort}
        scoreHint={rankingHint(mirror)}
        scaleStartStep={scaleStartStep(mirror.plan.totalSteps)}
        highlight={block?.role === role ? block.id : null}
        onBlockClick={(id) => void showBlock(role, id)}
        height={Math.min(360, Math.max(120, mirror.plan.blockCount * 4))}
      />
    </div>
  );
}
