// Float64 twins of shaders/embedding.wgsl. The backward takes the raw tokens: grouping them is
// how the GPU avoids atomics, not part of the maths.

// out (B,T,C) = wte[tokens (B,T)] (V,C) + wpe[t] (maxT,C)
export function embeddingForward(
  out: Float64Array,
  tokens: ArrayLike<number>,
  wte: ArrayLike<number>,
  wpe: ArrayLike<number>,
  B: number,
  T: number,
  C: number,
): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * C;
      const w = tokens[b * T + t] * C;
      for (let c = 0; c < C; c++) out[o + c] = wte[w + c] + wpe[t * C + c];
    }
  }
}

// dwte (V,C) +=, dwpe (maxT,C) += from dout (B,T,C)
export function embeddingBackward(
  dwte: Float64Array,
  dwpe: Float64Array,
  dout: ArrayLike<number>,
  tokens: ArrayLike<number>,
  B: number,
  T: number,
  C: number,
): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * C;
      const w = tokens[b * T + t] * C;
      for (let c = 0; c < C; c++) {
        dwte[w + c] += dout[o + c];
        dwpe[t * C + c] += dout[o + c];
      }
    }
  }
}
