import { useDeferredValue } from 'react';
import type { ScheduleMirror } from '../../lfr/stream';
import { lfrMirror, selectLfrRole, selectLfrVersion } from '../../store/lfrSlice';
import { useStudio } from '../../store/store';
import type { LfrRole } from '../../worker/protocol';

/**
 * The shown run's mirror and the version it is drawn at. Deferred: the views redraw in an
 * interruptible background render, not in the progress event's task.
 */
export function useMirror(): {
  role: LfrRole | undefined;
  mirror: ScheduleMirror | undefined;
  version: number;
} {
  const role = useStudio(selectLfrRole);
  const version = useDeferredValue(useStudio(selectLfrVersion));
  return { role, mirror: role && lfrMirror(role), version };
}
