import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_ADAPTER, fakeRemote } from '../test/fakeWorker';
import type { StudioApi } from '../worker/client';
import type { BenchResult, CheckInfo, CheckResult } from '../worker/protocol';
import { setWorkerFactory } from './actions';
import { failures, summarize } from './checksSlice';
import { BENCH_SIZES, connectGpu, runKernelChecks } from './gpuActions';
import { selectGpuReady } from './gpuSlice';
import { resetStudio, useStudio } from './store';

const info = (shape: string): CheckInfo => ({
  kernel: 'k',
  variant: 'forward',
  shape,
  tolerance: '2^-24',
});

const result = (shape: string, pass: boolean, error?: string): CheckResult => ({
  ...info(shape),
  pass,
  maxAbsError: pass ? 1e-7 : 0.5,
  worstRatio: pass ? 0.2 : 9,
  worstOutput: 'out',
  ms: 1,
  error,
});

const adapter = FAKE_ADAPTER;

// An in-thread stand-in for the comlink remote: same verbs, callbacks called directly.
function fakeWorker(outcomes: CheckResult[], lose?: { reason: string; message: string }) {
  const fake: Partial<StudioApi> = {
    acquire: async (onLost: (l: { reason: string; message: string }) => void) => {
      if (lose) onLost(lose);
      return { ok: true as const, adapter };
    },
    listChecks: () => outcomes.map((r) => info(r.shape)),
    checkKernels: async (onResult: (i: number, r: CheckResult) => void) => {
      outcomes.forEach((r, i) => {
        onResult(i, r);
      });
    },
    benchMatmul: async (sizes: number[], onResult: (b: BenchResult) => void) => {
      for (const n of sizes) onResult({ n, ms: 1, gflops: 2 });
    },
    loseDevice: async () => {},
  };
  return () => fakeRemote(fake);
}

describe('studio actions', () => {
  beforeEach(resetStudio);
  afterEach(resetStudio);

  it('connecting lists the checks and marks the GPU ready', async () => {
    setWorkerFactory(fakeWorker([result('n=1', true), result('n=7', true)]));
    await connectGpu();
    expect(useStudio.getState().checks).toHaveLength(2);
    expect(selectGpuReady(useStudio.getState())).toBe(true);
  });

  it('a lost device makes the GPU not ready', async () => {
    setWorkerFactory(fakeWorker([], { reason: 'destroyed', message: '' }));
    await connectGpu();
    expect(useStudio.getState().deviceLost?.reason).toBe('destroyed');
    expect(selectGpuReady(useStudio.getState())).toBe(false);
  });

  it('a run counts passes and failures and keeps the failed results, then benchmarks', async () => {
    const outcomes = [
      result('n=1', true),
      result('n=7', false),
      result('n=33', false, 'WGSL kernel "k" failed to compile'),
    ];
    setWorkerFactory(fakeWorker(outcomes));
    await connectGpu();
    await runKernelChecks();
    const s = useStudio.getState();
    expect(summarize(s)).toEqual({ total: 3, done: 3, passed: 1, failed: 2 });
    expect(failures(s).map((r) => r.shape)).toEqual(['n=7', 'n=33']);
    expect(s.bench.map((b) => b.n)).toEqual(BENCH_SIZES);
    expect(s.phase).toBe('done');
  });
});
