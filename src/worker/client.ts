import * as Comlink from 'comlink';
import type { StudioApi } from './studio.worker';

export type { StudioApi };
export type StudioWorker = Comlink.Remote<StudioApi>;

let remote: StudioWorker | undefined;
let thread: Worker | undefined;
const crashListeners = new Set<(message: string) => void>();

/** The studio's GPU worker, started on first use and shared by every caller. */
export function studioWorker(): StudioWorker {
  if (!remote) {
    thread = new Worker(new URL('./studio.worker.ts', import.meta.url), {
      type: 'module',
      name: 'studio',
    });
    // An error no call caught: the worker's state can no longer be trusted.
    thread.addEventListener('error', (e) => {
      for (const listener of crashListeners) listener(e.message || 'an uncaught error');
    });
    remote = Comlink.wrap<StudioApi>(thread);
  }
  return remote;
}

/** Calls `listener` when the worker throws outside any call; returns the unsubscribe. */
export function onWorkerCrash(listener: (message: string) => void): () => void {
  crashListeners.add(listener);
  return () => crashListeners.delete(listener);
}

/** Ends the worker (its GPU objects go with it); the next studioWorker() starts a fresh one. */
export function restartWorker(): void {
  thread?.terminate();
  thread = undefined;
  remote = undefined;
}

/** Marks a callback so comlink calls it across the boundary instead of cloning it. */
export const callback = Comlink.proxy;
