// A gradient oracle that depends on Z = A B^T only, for the invariance tests: linear regression
// y = x Z^T on a fixed sequence of mini-batches, loss = ||X Z^T - Y||^2 / N.

import { type Mat, matmul, matmulNT, matmulTN, zeros } from '../linalg';
import type { LoraGrad, LoraPair } from './lora';

export interface RegressionBatch {
  x: Mat; // (N, n) inputs
  y: Mat; // (N, m) targets
}

// dZ (m, n) = 2 / N (X Z^T - Y)^T X
export function regressionDz(z: Mat, batch: RegressionBatch): Mat {
  const residual = matmulNT(batch.x, z); // (N, m)
  for (let i = 0; i < residual.data.length; i++) residual.data[i] -= batch.y.data[i];
  const dz = matmulTN(residual, batch.x); // (m, n)
  for (let i = 0; i < dz.data.length; i++) dz.data[i] *= 2 / batch.x.rows;
  return dz;
}

// dA (m, r) = dZ B, dB (n, r) = dZ^T A, with Z = A B^T
export function regressionGrad({ a, b }: LoraPair, batch: RegressionBatch): LoraGrad {
  const dz = regressionDz(matmulNT(a, b), batch);
  return { da: matmul(dz, b), db: matmulTN(dz, a) };
}

// batches of N samples: x ~ normal(0, 1), y = x zTrue^T + noise * normal(0, 1), zTrue (m, n)
export function regressionBatches(
  normal: () => number,
  zTrue: Mat,
  batchSize: number,
  count: number,
  noise: number,
): RegressionBatch[] {
  return Array.from({ length: count }, () => {
    const x = zeros(batchSize, zTrue.cols);
    for (let i = 0; i < x.data.length; i++) x.data[i] = normal();
    const y = matmulNT(x, zTrue);
    for (let i = 0; i < y.data.length; i++) y.data[i] += noise * normal();
    return { x, y };
  });
}
