// Float64 twins of shaders/attention.wgsl: causal multi-head self-attention in llm.c's layout.
// qkv (B,T,3C) holds q, k and v side by side on the channel axis; head h owns channels
// [h*hs, (h+1)*hs) of each, hs = C / NH. Forward saves the log-sum-exp of each score row so
// backward can rebuild the probabilities without keeping the (B,NH,T,T) matrix.

interface Layout {
  T: number;
  C: number;
  NH: number;
  hs: number;
  scale: number;
}

function layout(T: number, C: number, NH: number): Layout {
  const hs = C / NH;
  return { T, C, NH, hs, scale: 1 / Math.sqrt(hs) };
}

// Offset in qkv of channel 0 of head h's q (part 0), k (part 1) or v (part 2) at (b, t).
function qkvAt(L: Layout, b: number, t: number, part: number, h: number): number {
  return (b * L.T + t) * 3 * L.C + part * L.C + h * L.hs;
}

function dot(x: ArrayLike<number>, xi: number, y: ArrayLike<number>, yi: number, n: number) {
  let s = 0;
  for (let d = 0; d < n; d++) s += x[xi + d] * y[yi + d];
  return s;
}

// Scaled scores of query t against keys 0..t of head h: row (t+1).
function scoreRow(L: Layout, qkv: ArrayLike<number>, b: number, h: number, t: number) {
  const row = new Float64Array(t + 1);
  const qi = qkvAt(L, b, t, 0, h);
  for (let j = 0; j <= t; j++) row[j] = L.scale * dot(qkv, qi, qkv, qkvAt(L, b, j, 1, h), L.hs);
  return row;
}

// out (B,T,C), saved (B,NH,T) log-sum-exp = causal softmax(q k^T / sqrt(hs)) v over qkv (B,T,3C)
export function attentionForward(
  out: Float64Array,
  saved: Float64Array,
  qkv: ArrayLike<number>,
  B: number,
  T: number,
  C: number,
  NH: number,
): void {
  const L = layout(T, C, NH);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const s = scoreRow(L, qkv, b, h, t);
        const m = Math.max(...s);
        let l = 0;
        for (let j = 0; j <= t; j++) {
          s[j] = Math.exp(s[j] - m);
          l += s[j];
        }
        const o = (b * T + t) * C + h * L.hs;
        for (let d = 0; d < L.hs; d++) {
          let acc = 0;
          for (let j = 0; j <= t; j++) acc += s[j] * qkv[qkvAt(L, b, j, 2, h) + d];
          out[o + d] = acc / l;
        }
        saved[(b * NH + h) * T + t] = m + Math.log(l);
      }
    }
  }
}

// dqkv (B,T,3C) += from dout (B,T,C), with qkv (B,T,3C) and saved (B,NH,T) from forward
export function attentionBackward(
  dqkv: Float64Array,
  dout: ArrayLike<number>,
  qkv: ArrayLike<number>,
  saved: ArrayLike<number>,
  B: number,
  T: number,
  C: number,
  NH: number,
): void {
  const L = layout(T, C, NH);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let i = 0; i < T; i++) {
        const lse = saved[(b * NH + h) * T + i];
        const P = scoreRow(L, qkv, b, h, i).map((s) => Math.exp(s - lse));
        const go = (b * T + i) * C + h * L.hs;
        const dP = P.map((_, j) => dot(dout, go, qkv, qkvAt(L, b, j, 2, h), L.hs));
        // D = rowsum(P * dP) = dout . out: the softmax Jacobian's shared term
        let D = 0;
        for (let j = 0; j <= i; j++) D += P[j] * dP[j];
        const qi = qkvAt(L, b, i, 0, h);
        for (let j = 0; j <= i; j++) {
          const dS = P[j] * (dP[j] - D) * L.scale;
          const kj = qkvAt(L, b, j, 1, h);
          const vj = qkvAt(L, b, j, 2, h);
          for (let d = 0; d < L.hs; d++) {
            dqkv[qi + d] += dS * qkv[kj + d];
            dqkv[kj + d] += dS * qkv[qi + d];
            dqkv[vj + d] += P[j] * dout[go + d];
          }
        }
      }
    }
  }
}
