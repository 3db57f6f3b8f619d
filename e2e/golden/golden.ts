// Golden runs: what a fixed-seed run recorded (its adapter, settings, curves and LFR decisions),
// how it is written so a diff reads line by line, and how a new run is compared with it.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ScheduleExport } from '../../src/lfr/export';
import type { LossesExport } from '../../src/ui/lossesExport';

export interface Adapter {
  vendor: string;
  architecture: string;
  description: string;
}

/** The blocks one phase of a schedule trained on: the decision a Focus cut made. */
export interface Decision {
  phase: string;
  startStep: number;
  endStep: number;
  keptIds: number[] | null;
}

export interface GoldenRun {
  name: string;
  /** Where the golden numbers were made: bit-identical is only expected on the same adapter. */
  adapter: Adapter;
  /** The fields typed into the form, by key. */
  settings: Record<string, string>;
  losses: LossesExport;
  /** Each phase's kept block ids, from the downloaded schedule; empty for a plain run. */
  decisions: Decision[];
}

/** `npm run test:update-golden` sets it: the run is written as the new golden, not compared. */
export const UPDATING = process.env.GOLDEN_UPDATE === '1';

// A different adapter computes the same f32 operations with other rounding: fused multiply-adds
// where SwiftShader rounds the product, other exp/tanh approximations, and for the same fixed
// reduction order a different instruction sequence. Each step's loss then differs by a few f32
// ulps (~1e-7 relative), and Adam amplifies it: its update m / sqrt(v) normalizes, so a tiny
// gradient difference moves the weights by a learning-rate-sized step in the early, noisy steps.
// Over the golden runs' 12 steps that grows to about 1e-5..1e-4 relative; 1e-3 allows ten
// times that and still catches a real change (a wrong kernel or schedule moves the loss by
// percents within a few steps).
export const CROSS_ADAPTER_RTOL = 1e-3;

export const goldenPath = (name: string): string =>
  fileURLToPath(new URL(`./runs/${name}.json`, import.meta.url));

/** Pretty JSON with one value per line, so the golden files' diffs are readable. */
export function goldenText(run: GoldenRun): string {
  return `${JSON.stringify(run, null, 2)}\n`;
}

export function readGolden(name: string): GoldenRun {
  const path = goldenPath(name);
  if (!existsSync(path)) {
    throw new Error(
      `No golden file ${path}: run \`npm run test:update-golden\` to record it (and commit it).`,
    );
  }
  return JSON.parse(readFileSync(path, 'utf8')) as GoldenRun;
}

export function writeGolden(run: GoldenRun): void {
  writeFileSync(goldenPath(run.name), goldenText(run));
}

export function sameAdapter(a: Adapter, b: Adapter): boolean {
  return (
    a.vendor === b.vendor && a.architecture === b.architecture && a.description === b.description
  );
}

/** A file-name-safe key for the adapter, so each adapter keeps its own screenshots. */
export function adapterKey(a: Adapter): string {
  return `${a.vendor}-${a.architecture}`.toLowerCase().replace(/[^a-z0-9]+/g, '-') || 'unknown';
}

export const decisionsOf = (schedule: ScheduleExport): Decision[] =>
  schedule.phases.map((p) => ({
    phase: p.name,
    startStep: p.startStep,
    endStep: p.endStep,
    keptIds: p.keptIds,
  }));

/** rtol 0: bit-identical (NaN matches NaN); else |actual - golden| <= rtol |golden|. */
function agrees(golden: number, actual: number, rtol: number): boolean {
  if (rtol === 0) return Object.is(golden, actual);
  return Math.abs(actual - golden) <= rtol * Math.abs(golden);
}

/**
 * Where a curve first left its golden: the step, both values and the difference, and how many
 * later points are off too; undefined when it stayed on it.
 */
export function curveDeparture(
  label: string,
  steps: readonly number[],
  golden: readonly number[],
  actual: readonly number[],
  rtol: number,
): string | undefined {
  if (golden.length !== actual.length) {
    return `${label}: ${actual.length} points, the golden run has ${golden.length}.`;
  }
  const off = golden.flatMap((g, i) => (agrees(g, actual[i], rtol) ? [] : [i]));
  if (off.length === 0) return undefined;
  const i = off[0];
  const diff = actual[i] - golden[i];
  const allowed = rtol === 0 ? 'bit-identical' : `relative ${rtol}`;
  return (
    `${label} left the golden curve at step ${steps[i]}: golden ${golden[i]}, actual ` +
    `${actual[i]}, difference ${diff.toPrecision(3)} (relative ` +
    `${(diff / golden[i]).toPrecision(3)}; allowed: ${allowed}); ${off.length} of ` +
    `${golden.length} points are off.`
  );
}

/** Every way the run's curves left the golden ones, within `rtol` (0: bit-identical). */
export function lossDepartures(golden: LossesExport, actual: LossesExport, rtol: number): string[] {
  const stepsDiffer = curveDeparture('training steps', golden.step, golden.step, actual.step, 0);
  if (stepsDiffer) return [stepsDiffer];
  const valStepsDiffer = curveDeparture(
    'validation steps',
    golden.val.step,
    golden.val.step,
    actual.val.step,
    0,
  );
  return [
    curveDeparture('training loss', golden.step, golden.loss, actual.loss, rtol),
    valStepsDiffer ??
      curveDeparture('validation loss', golden.val.step, golden.val.loss, actual.val.loss, rtol),
    curveDeparture('gradient norm', golden.step, golden.gradNorm, actual.gradNorm, rtol),
    curveDeparture('learning rate', golden.step, golden.lr, actual.lr, rtol),
  ].filter((m): m is string => m !== undefined);
}

/** Phases whose kept blocks differ from the golden run's: these must match on any adapter. */
export function decisionDepartures(golden: Decision[], actual: Decision[]): string[] {
  const name = (d: Decision) => `${d.phase} (steps ${d.startStep}-${d.endStep})`;
  if (golden.map(name).join() !== actual.map(name).join()) {
    return [
      `phases differ: golden ${golden.map(name).join(', ')}; actual ${actual.map(name).join(', ')}.`,
    ];
  }
  return golden.flatMap((g, i) => {
    const kept = new Set(actual[i].keptIds ?? []);
    const goldenKept = new Set(g.keptIds ?? []);
    const missing = [...goldenKept].filter((id) => !kept.has(id));
    const extra = [...kept].filter((id) => !goldenKept.has(id));
    if (
      missing.length === 0 &&
      extra.length === 0 &&
      (g.keptIds === null) === (actual[i].keptIds === null)
    )
      return [];
    return [
      `${name(g)} kept other blocks than the golden run: not kept now [${missing.join(', ')}], ` +
        `kept now but not in the golden [${extra.join(', ')}].`,
    ];
  });
}
