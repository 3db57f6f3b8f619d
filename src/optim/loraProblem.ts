// Test problems for the LoRA optimizer checks: pairs of given shapes, each fitting its own linear
// regression target from fixed mini-batches, so the gradients depend on Z = A B^T only.

import { Rng } from '../util/rng';
import { fromArray, type Mat, zeros } from './linalg';
import type { LoraShape } from './loraOptimizer';
import type { LoraGrad, LoraPair } from './reference/lora';
import { type RegressionBatch, regressionBatches, regressionGrad } from './reference/regression';

export interface LoraProblem {
  start: LoraPair[];
  batches: RegressionBatch[][]; // per pair, one batch per step
}

export interface ProblemOptions {
  steps: number;
  batchSize: number;
  zeroA: boolean;
  seed: number;
}

export function loraProblem(shapes: readonly LoraShape[], o: ProblemOptions): LoraProblem {
  const rng = new Rng(o.seed);
  const start: LoraPair[] = [];
  const batches: RegressionBatch[][] = [];
  for (const { m, n, r } of shapes) {
    const zTrue = zeros(m, n);
    for (let i = 0; i < zTrue.data.length; i++) zTrue.data[i] = 0.1 * rng.normal();
    batches.push(regressionBatches(() => rng.normal(), zTrue, o.batchSize, o.steps, 0.05));
    const a = o.zeroA ? new Float32Array(m * r) : rng.normalArray(m * r, 0.2);
    start.push({ a: fromArray(m, r, a), b: fromArray(n, r, rng.normalArray(n * r, 0.2)) });
  }
  return { start, batches };
}

/** x rounded to f32, as the GPU stores it. */
export function f32(x: Mat): Mat {
  return fromArray(x.rows, x.cols, new Float32Array(x.data));
}

/** Step t's gradients of every pair at its current factors, rounded to f32. */
export function problemGrads(pairs: readonly LoraPair[], p: LoraProblem, t: number): LoraGrad[] {
  return pairs.map((pair, i) => {
    const g = regressionGrad(pair, p.batches[i][t]);
    return { da: f32(g.da), db: f32(g.db) };
  });
}

export function cloneFactors(pairs: readonly LoraPair[]): LoraPair[] {
  return pairs.map(({ a, b }) => ({ a: f32(a), b: f32(b) }));
}
