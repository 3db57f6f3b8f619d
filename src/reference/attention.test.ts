import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { attentionBackward, attentionForward } from './attention';

function forward(qkv: ArrayLike<number>, B: number, T: number, C: number, NH: number) {
  const out = new Float64Array(B * T * C);
  const saved = new Float64Array(B * NH * T);
  attentionForward(out, saved, qkv, B, T, C, NH);
  return { out, saved };
}

describe('attention reference', () => {
  it('returns v at the first position, where only one key is visible', () => {
    const [B, T, C, NH] = [1, 3, 4, 2];
    const qkv = Float64Array.from(new Rng(1).normalArray(B * T * 3 * C));
    const { out } = forward(qkv, B, T, C, NH);
    for (let c = 0; c < C; c++) expect(out[c]).toBeCloseTo(qkv[2 * C + c], 14);
  });

  it('keeps the causal mask: keys and values after t do not change out at t', () => {
    const [B, T, C, NH] = [2, 6, 6, 2];
    const qkv = Float64Array.from(new Rng(2).normalArray(B * T * 3 * C));
    const before = forward(qkv, B, T, C, NH).out;
    const t = 3;
    const changed = Float64Array.from(qkv);
    for (let b = 0; b < B; b++) {
      for (let u = t + 1; u < T; u++) {
        for (let c = C; c < 3 * C; c++) changed[(b * T + u) * 3 * C + c] += 5;
      }
    }
    const after = forward(changed, B, T, C, NH).out;
    let changedLater = false;
    for (let b = 0; b < B; b++) {
      for (let u = 0; u < T; u++) {
        for (let c = 0; c < C; c++) {
          const i = (b * T + u) * C + c;
          if (u <= t) expect(after[i]).toBe(before[i]);
          else changedLater ||= after[i] !== before[i];
        }
      }
    }
    // The perturbation is real: it moves the outputs that may see it.
    expect(changedLater).toBe(true);
  });

  it('backward matches central finite differences of sum(out * G)', () => {
    const [B, T, C, NH] = [2, 5, 6, 2];
    const rng = new Rng(3);
    const qkv = Float64Array.from(rng.normalArray(B * T * 3 * C));
    const G = Float64Array.from(rng.normalArray(B * T * C));
    const loss = (x: Float64Array) => {
      const { out } = forward(x, B, T, C, NH);
      let s = 0;
      for (let i = 0; i < out.length; i++) s += out[i] * G[i];
      return s;
    };
    const { saved } = forward(qkv, B, T, C, NH);
    // Backward adds: start from a known offset and subtract it.
    const dqkv = new Float64Array(qkv.length).fill(0.25);
    attentionBackward(dqkv, G, qkv, saved, B, T, C, NH);
    const h = 1e-5;
    for (let i = 0; i < qkv.length; i++) {
      const x = Float64Array.from(qkv);
      x[i] = qkv[i] + h;
      const up = loss(x);
      x[i] = qkv[i] - h;
      const down = loss(x);
      const numeric = (up - down) / (2 * h);
      // Central differences err by O(h^2 f''') ~ 1e-10 plus cancellation ~ 1e-16 / h ~ 1e-11.
      expect(Math.abs(dqkv[i] - 0.25 - numeric)).toBeLessThan(1e-8 * (1 + Math.abs(numeric)));
    }
  });
});
