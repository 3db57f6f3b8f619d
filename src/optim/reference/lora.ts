// The LoRA pair the reference optimizers step: Z = A B^T is the low-rank update of a frozen
// weight W (m x n, out x in).

import type { Mat } from '../linalg';

export interface LoraPair {
  a: Mat; // (m, r), updated in place
  b: Mat; // (n, r), updated in place
}

export interface LoraGrad {
  da: Mat; // (m, r) = dZ (m, n) B (n, r)
  db: Mat; // (n, r) = dZ^T (n, m) A (m, r)
}
