// The store's tests talk to a fake of the studio worker: some of its verbs, typed as the worker's
// own (Partial<StudioApi>), behind the same asynchronous boundary as comlink's remote.
import type { StudioApi, StudioWorker } from '../worker/client';
import type { AdapterReport } from '../worker/protocol';

/** The adapter a fake worker's acquire() reports. */
export const FAKE_ADAPTER: AdapterReport = {
  vendor: 'v',
  architecture: 'a',
  device: '',
  description: '',
  isFallbackAdapter: false,
  limits: {},
  features: [],
};

/**
 * Some of the worker's verbs with its own signatures (Partial<StudioApi>), where a verb may also
 * answer later, as a test of a slow worker needs.
 */
export type FakeVerbs = {
  [K in keyof StudioApi]?: (
    ...args: Parameters<StudioApi[K]>
  ) => ReturnType<StudioApi[K]> | Promise<Awaited<ReturnType<StudioApi[K]>>>;
};

/** A remote whose verbs run in this thread; a verb the fake lacks throws, naming itself. */
export function fakeRemote(verbs: FakeVerbs): StudioWorker {
  const table: Record<string | symbol, unknown> = verbs;
  const remote = new Proxy({} as StudioWorker, {
    get(_, name) {
      // Not a thenable: awaiting the remote itself must not look for a verb.
      if (name === 'then') return undefined;
      const verb = table[name];
      if (typeof verb !== 'function') {
        return () => Promise.reject(new Error(`The fake worker has no verb ${String(name)}.`));
      }
      return async (...args: unknown[]) => verb(...args);
    },
  });
  return remote;
}
