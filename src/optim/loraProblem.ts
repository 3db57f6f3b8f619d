// Test problems for the LoRA optimizer checks: pairs of given shapes, each fitting its own linear
// regression target from fixed mini-batches, so the gradients depend on Z = A B^T only.

import { Rng } from '../util/rng';
import { fromArray, type Mat, qr, scale, zeros } from './linalg';
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
  /**
   * Well-conditioned, for bounds that grow with conditioning: each factor 0.5 times orthonormal
   * columns (cond(R) = 1 at the start, and Z = A B^T no more ill-conditioned than the target) and
   * batches of at least 8 n samples (X^T X / N within a factor of about 4 of I, so dZ is as well
   * conditioned as Z - Z_true).
   */
  conditioned?: boolean;
}

// (rows, r): 0.5 times the orthonormal columns of a Gaussian draw, rounded to f32
function orthonormalFactor(rng: Rng, rows: number, r: number): Float32Array {
  const q = qr(fromArray(rows, r, rng.normalArray(rows * r))).q;
  return new Float32Array(scale(0.5, q).data);
}

export function loraProblem(shapes: readonly LoraShape[], o: ProblemOptions): LoraProblem {
  const rng = new Rng(o.seed);
  const start: LoraPair[] = [];
  const batches: RegressionBatch[][] = [];
  for (const { m, n, r } of shapes) {
    const zTrue = zeros(m, n);
    for (let i = 0; i < zTrue.data.length; i++) zTrue.data[i] = 0.1 * rng.normal();
    const batchSize = o.conditioned ? Math.max(o.batchSize, 8 * n) : o.batchSize;
    batches.push(regressionBatches(() => rng.normal(), zTrue, batchSize, o.steps, 0.05));
    const factor = (rows: number) =>
      o.conditioned ? orthonormalFactor(rng, rows, r) : rng.normalArray(rows * r, 0.2);
    const a = o.zeroA ? new Float32Array(m * r) : factor(m);
    start.push({ a: fromArray(m, r, a), b: fromArray(n, r, factor(n)) });
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
