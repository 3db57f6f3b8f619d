import { useMemo, useState } from 'react';
import { classesNow, FORGETTING_CLASSES } from '../../lfr/forgetting';
import type { ScheduleMirror } from '../../lfr/stream';
import { showBlock } from '../../store/lfrActions';
import { selectLfrBlock } from '../../store/lfrSlice';
import { useStudio } from '../../store/store';
import type { LfrRole } from '../../worker/protocol';
import { BlockHeatmap, type HeatmapSort } from './heatmap/BlockHeatmap';

// (blockCount) 1 for each id in `ids`.
function maskOf(blockCount: number, ids: Uint32Array): Uint8Array {
  const mask = new Uint8Array(blockCount);
  for (const id of ids) mask[id] = 1;
  return mask;
}

/** The shown run's block x time heatmap, with the current Focus's dropped rows marked. */
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
  const cut = mirror.cut(mirror.currentPhase());
  const dropped = useMemo(
    () => (cut ? maskOf(mirror.plan.blockCount, cut.dropped) : null),
    [cut, mirror],
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
      data-phase={mirror.phases()[mirror.currentPhase()].name}
    >
      <BlockHeatmap
        grid={mirror.scores.grid()}
        version={version}
        dropped={dropped}
        statuses={statuses}
        phases={mirror.plan.phases}
        sort={sort}
        onSortChange={setSort}
        highlight={block?.role === role ? block.id : null}
        onBlockClick={(id) => void showBlock(role, id)}
        height={Math.min(360, Math.max(120, mirror.plan.blockCount * 4))}
      />
    </div>
  );
}
