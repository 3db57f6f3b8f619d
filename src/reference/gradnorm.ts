// Float64 twin of shaders/gradnorm.wgsl (the GPU's partials are scratch, so they are not here).

// norm (2) = [||grads||_2, maxNorm > 0 ? min(1, maxNorm / (||grads|| + 1e-6)) : 1], grads (n)
export function gradNorm(norm: Float64Array, grads: ArrayLike<number>, maxNorm: number): void {
  let sumSq = 0;
  for (let i = 0; i < grads.length; i++) sumSq += grads[i] * grads[i];
  norm[0] = Math.sqrt(sumSq);
  norm[1] = maxNorm > 0 ? Math.min(1, maxNorm / (norm[0] + 1e-6)) : 1;
}
