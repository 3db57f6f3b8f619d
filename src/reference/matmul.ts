// Float64 twins of shaders/matmul.wgsl and shaders/bias_backward.wgsl.

export interface MatmulShape {
  M: number;
  N: number;
  K: number;
  /** Number of products, one per batch item (default 1). */
  batch?: number;
  /** A is stored (K,M) and used transposed. */
  transA?: boolean;
  /** B is stored (N,K) and used transposed (a linear layer's weight in llm.c layout). */
  transB?: boolean;
  /** out += product instead of out = product. */
  accumulate?: boolean;
  /** Elements between batch items of A (default M*K; 0 uses one A for every item). */
  strideA?: number;
  /** Elements between batch items of B (default K*N; 0 uses one B for every item). */
  strideB?: number;
  /** Elements between batch items of out (default M*N). */
  strideOut?: number;
}

// out (batch,M,N) = op(a) (batch,M,K) · op(b) (batch,K,N) [+ bias (N)] [+ out]
export function matmul(
  out: Float64Array,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  shape: MatmulShape,
): void {
  const { M, N, K, batch = 1, transA = false, transB = false, accumulate = false } = shape;
  const strideA = shape.strideA ?? M * K;
  const strideB = shape.strideB ?? K * N;
  const strideOut = shape.strideOut ?? M * N;
  for (let z = 0; z < batch; z++) {
    const ba = z * strideA;
    const bb = z * strideB;
    const bo = z * strideOut;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let sum = bias ? bias[n] : 0;
        for (let k = 0; k < K; k++) {
          const av = transA ? a[ba + k * M + m] : a[ba + m * K + k];
          const bv = transB ? b[bb + n * K + k] : b[bb + k * N + n];
          sum += av * bv;
        }
        const o = bo + m * N + n;
        out[o] = accumulate ? out[o] + sum : sum;
      }
    }
  }
}

// dbias (N) += sum over rows of dout (M,N)
export function biasBackward(
  dbias: Float64Array,
  dout: ArrayLike<number>,
  M: number,
  N: number,
): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) dbias[n] += dout[m * N + n];
  }
}
