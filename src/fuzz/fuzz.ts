// Runs fuzz targets: each input must be refused with one of the target's own errors (a bounded
// message), or accepted, within 2 s. Anything else (a TypeError, a RangeError, a stack overflow,
// a hang) is a failure, reported with the seed and the mutation that made it.
import { Rng } from '../util/rng';
import type { FuzzTarget } from './targets';

/** Longest an input may take, parse and use together. */
export const MAX_INPUT_MS = 2000;
/** A refusal quotes what it must: a message over this is unbounded somewhere. */
const MAX_MESSAGE_CHARS = 2000;

export interface FuzzFailure {
  case: string;
  what: string;
  problem: string;
}

export interface FuzzReport {
  target: string;
  seed: number;
  /** Inputs run: the fixed ones and the mutated ones. */
  cases: number;
  refused: number;
  accepted: number;
  slowestMs: number;
  failures: FuzzFailure[];
}

function problemOf(target: FuzzTarget, e: unknown): string | undefined {
  if (!target.refusals.some((E) => e instanceof E)) {
    const name = e instanceof Error ? e.name : typeof e;
    const message = e instanceof Error ? e.message : String(e);
    return `threw ${name}: ${message.slice(0, 300)}`;
  }
  const message = (e as Error).message;
  if (message.length > MAX_MESSAGE_CHARS) return `a message of ${message.length} characters`;
  return undefined;
}

/** `cases` mutated inputs from `seed`, after the target's fixed ones. */
export async function fuzzTarget(
  target: FuzzTarget,
  seed: number,
  cases: number,
): Promise<FuzzReport> {
  const report: FuzzReport = {
    target: target.name,
    seed,
    cases: 0,
    refused: 0,
    accepted: 0,
    slowestMs: 0,
    failures: [],
  };
  const rng = new Rng(seed);
  const inputs = function* () {
    let i = 0;
    for (const m of target.fixed()) yield { id: `fixed ${i++}`, ...m };
    for (let k = 0; k < cases; k++) yield { id: `seed ${seed} case ${k}`, ...target.mutate(rng) };
  };
  for (const input of inputs()) {
    report.cases++;
    const started = performance.now();
    let problem: string | undefined;
    try {
      await target.run(input.value);
      report.accepted++;
    } catch (e) {
      report.refused++;
      problem = problemOf(target, e);
    }
    const ms = performance.now() - started;
    report.slowestMs = Math.max(report.slowestMs, ms);
    if (ms > MAX_INPUT_MS) problem ??= `took ${Math.round(ms)} ms`;
    if (problem) report.failures.push({ case: input.id, what: input.what, problem });
  }
  return report;
}
