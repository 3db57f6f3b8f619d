// Float64 forward of transformers' GPT2LMHeadModel (eval mode), written from HF's modeling code
// and run on HF-layout tensors (Conv1D weights (in, out), "h.0.attn.c_attn.weight", ...): the
// yardstick the export tests hold the studio's model to, since PyTorch is not available here.
import type { GPTConfig } from '../model/config';

/** logits (T, V) for one sequence of `tokens`; `w(name)` gives a tensor by its HF name. */
export function hfForward(
  c: GPTConfig,
  w: (name: string) => Float32Array,
  tokens: number[],
): Float64Array {
  const T = tokens.length;
  const C = c.nEmbd;
  const hs = C / c.nHead;
  // Conv1D: y (T, out) = x (T, in) W (in, out) + b
  const conv1d = (x: Float64Array, name: string, inp: number, out: number) => {
    const W = w(`${name}.weight`);
    const b = w(`${name}.bias`);
    const y = new Float64Array(T * out);
    for (let t = 0; t < T; t++)
      for (let o = 0; o < out; o++) {
        let s = b[o];
        for (let i = 0; i < inp; i++) s += x[t * inp + i] * W[i * out + o];
        y[t * out + o] = s;
      }
    return y;
  };
  const layerNorm = (x: Float64Array, name: string) => {
    const g = w(`${name}.weight`);
    const b = w(`${name}.bias`);
    const y = new Float64Array(T * C);
    for (let t = 0; t < T; t++) {
      const row = x.subarray(t * C, (t + 1) * C);
      const mean = row.reduce((a, v) => a + v, 0) / C;
      const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / C;
      for (let i = 0; i < C; i++)
        y[t * C + i] = ((row[i] - mean) / Math.sqrt(variance + 1e-5)) * g[i] + b[i];
    }
    return y;
  };
  const geluNew = (v: number) =>
    0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  const wte = w('wte.weight');
  const wpe = w('wpe.weight');
  let x = new Float64Array(T * C);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < C; i++) x[t * C + i] = wte[tokens[t] * C + i] + wpe[t * C + i];
  for (let l = 0; l < c.nLayer; l++) {
    const h = `h.${l}`;
    // qkv.split(n_embd, dim=2), then each viewed as (T, n_head, hs).
    const qkv = conv1d(layerNorm(x, `${h}.ln_1`), `${h}.attn.c_attn`, C, 3 * C);
    const att = new Float64Array(T * C);
    for (let head = 0; head < c.nHead; head++)
      for (let t = 0; t < T; t++) {
        const q = (j: number) => qkv[t * 3 * C + head * hs + j];
        const k = (s: number, j: number) => qkv[s * 3 * C + C + head * hs + j];
        const v = (s: number, j: number) => qkv[s * 3 * C + 2 * C + head * hs + j];
        const scores = Array.from({ length: t + 1 }, (_, s) => {
          let d = 0;
          for (let j = 0; j < hs; j++) d += q(j) * k(s, j);
          return d / Math.sqrt(hs);
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < hs; j++) {
          let s = 0;
          for (let u = 0; u <= t; u++) s += (e[u] / z) * v(u, j);
          att[t * C + head * hs + j] = s;
        }
      }
    const proj = conv1d(att, `${h}.attn.c_proj`, C, C);
    x = x.map((a, i) => a + proj[i]);
    const fc = conv1d(layerNorm(x, `${h}.ln_2`), `${h}.mlp.c_fc`, C, 4 * C).map(geluNew);
    const mlp = conv1d(fc, `${h}.mlp.c_proj`, 4 * C, C);
    x = x.map((a, i) => a + mlp[i]);
  }
  const lnf = layerNorm(x, 'ln_f');
  const logits = new Float64Array(T * c.vocabSize);
  for (let t = 0; t < T; t++)
    for (let v = 0; v < c.vocabSize; v++) {
      let s = 0;
      for (let i = 0; i < C; i++) s += lnf[t * C + i] * wte[v * C + i];
      logits[t * c.vocabSize + v] = s;
    }
  return logits;
}
