// Float64 twins of shaders/layernorm.wgsl.

const EPS = 1e-5;

// out (N,C), mean (N), rstd (N) = layernorm(inp (N,C)) * weight (C) + bias (C)
export function layernormForward(
  out: Float64Array,
  mean: Float64Array,
  rstd: Float64Array,
  inp: ArrayLike<number>,
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const base = n * C;
    let s = 0;
    for (let i = 0; i < C; i++) s += inp[base + i];
    const m = s / C;
    let v = 0;
    for (let i = 0; i < C; i++) v += (inp[base + i] - m) ** 2;
    const r = 1 / Math.sqrt(v / C + EPS);
    for (let i = 0; i < C; i++) {
      out[base + i] = (inp[base + i] - m) * r * weight[i] + bias[i];
    }
    mean[n] = m;
    rstd[n] = r;
  }
}

// dinp (N,C) +=, dweight (C) +=, dbias (C) += from dout (N,C), with mean (N), rstd (N) of forward
export function layernormBackward(
  dinp: Float64Array,
  dweight: Float64Array,
  dbias: Float64Array,
  dout: ArrayLike<number>,
  inp: ArrayLike<number>,
  weight: ArrayLike<number>,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const base = n * C;
    const m = mean[n];
    const r = rstd[n];
    let dnormMean = 0;
    let dnormXhatMean = 0;
    for (let i = 0; i < C; i++) {
      const dnorm = weight[i] * dout[base + i];
      dnormMean += dnorm;
      dnormXhatMean += dnorm * (inp[base + i] - m) * r;
    }
    dnormMean /= C;
    dnormXhatMean /= C;
    for (let i = 0; i < C; i++) {
      const xhat = (inp[base + i] - m) * r;
      const dnorm = weight[i] * dout[base + i];
      dinp[base + i] += r * (dnorm - dnormMean - xhat * dnormXhatMean);
      dweight[i] += dout[base + i] * xhat;
      dbias[i] += dout[base + i];
    }
  }
}
