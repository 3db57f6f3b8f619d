// The GPU panel's actions: acquire the GPU, run every kernel check and the matmul benchmark.

import { callback } from '../worker/client';
import { errorMessage as message } from '../worker/errorMessage';
import { currentWorker as worker } from './actions';
import { revalidate } from './settingsActions';
import { useStudio } from './store';

/** The matmul sizes benchmarked after the checks: small enough for a CPU adapter. */
export const BENCH_SIZES = [128, 256, 512];

/** Acquires the GPU in the worker and lists the registered kernel checks. */
export async function connectGpu(): Promise<void> {
  const w = worker();
  try {
    const gpu = await w.acquire(callback((loss) => useStudio.setState({ deviceLost: loss })));
    useStudio.setState({ gpu });
    revalidate();
    useStudio.setState({ checks: await w.listChecks() });
  } catch (e) {
    useStudio.setState({ gpu: { ok: false, kind: 'other', message: message(e) } });
  }
}

/** Runs every kernel check, then the matmul benchmark; results stream into the store. */
export async function runKernelChecks(): Promise<void> {
  const { checks } = useStudio.getState();
  useStudio.setState({
    results: new Array(checks.length).fill(undefined),
    bench: [],
    phase: 'checking',
    runError: undefined,
  });
  const w = worker();
  try {
    await w.checkKernels(
      callback((index, result) => {
        const results = useStudio.getState().results.slice();
        results[index] = result;
        useStudio.setState({ results });
      }),
    );
    useStudio.setState({ phase: 'benchmarking' });
    await w.benchMatmul(
      BENCH_SIZES,
      callback((point) => useStudio.setState((s) => ({ bench: [...s.bench, point] }))),
    );
  } catch (e) {
    useStudio.setState({ runError: message(e) });
  }
  useStudio.setState({ phase: 'done' });
}

/** Destroys the worker's device (as a driver reset would); for trying the device-lost path. */
export async function loseDevice(): Promise<void> {
  await worker().loseDevice();
}
