import type { BenchResult, CheckInfo, CheckResult } from '../worker/protocol';

export type CheckPhase = 'idle' | 'checking' | 'benchmarking' | 'done';

export interface ChecksSlice {
  /** The registered checks, listed by the worker; empty until it answers. */
  checks: CheckInfo[];
  /** Results by check index; a hole is a check not yet run. */
  results: (CheckResult | undefined)[];
  bench: BenchResult[];
  phase: CheckPhase;
  /** Set when the run itself failed (not a single check): e.g. the device was lost. */
  runError: string | undefined;
}

export const initialChecks: ChecksSlice = {
  checks: [],
  results: [],
  bench: [],
  phase: 'idle',
  runError: undefined,
};

export interface CheckSummary {
  total: number;
  done: number;
  passed: number;
  failed: number;
}

export const selectChecks = (s: ChecksSlice) => s.checks;
export const selectResults = (s: ChecksSlice) => s.results;
export const selectBench = (s: ChecksSlice) => s.bench;
export const selectPhase = (s: ChecksSlice) => s.phase;
export const selectRunError = (s: ChecksSlice) => s.runError;
export const selectRunning = (s: ChecksSlice) =>
  s.phase === 'checking' || s.phase === 'benchmarking';

export function summarize(s: ChecksSlice): CheckSummary {
  let done = 0;
  let passed = 0;
  for (const r of s.results) {
    if (!r) continue;
    done++;
    if (r.pass) passed++;
  }
  return { total: s.checks.length, done, passed, failed: done - passed };
}

/** The failed results with their check index, in run order. */
export function failures(s: ChecksSlice): CheckResult[] {
  return s.results.filter((r): r is CheckResult => r !== undefined && !r.pass);
}
