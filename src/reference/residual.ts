// Float64 residual adds: the reference GPT's residual connections, and the twin of matmul.wgsl's
// residual epilogue (shaders/matmul_residual.wgsl).

// out (n) = a (n) + b (n)
export function residualForward(
  out: Float64Array,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
}

// out (n) += b (n)
export function residualAccumulate(out: Float64Array, b: ArrayLike<number>): void {
  for (let i = 0; i < out.length; i++) out[i] += b[i];
}
