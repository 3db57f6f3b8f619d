import * as Comlink from 'comlink';
import type { StudioApi } from './studio.worker';

export type { StudioApi };
export type StudioWorker = Comlink.Remote<StudioApi>;

let remote: StudioWorker | undefined;

/** The studio's GPU worker, started on first use and shared by every caller. */
export function studioWorker(): StudioWorker {
  remote ??= Comlink.wrap<StudioApi>(
    new Worker(new URL('./studio.worker.ts', import.meta.url), { type: 'module', name: 'studio' }),
  );
  return remote;
}

/** Marks a callback so comlink calls it across the boundary instead of cloning it. */
export const callback = Comlink.proxy;
