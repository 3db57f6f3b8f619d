import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { embeddingBackward, embeddingForward } from './embedding';

describe('embedding reference', () => {
  it('adds the token row and the position row', () => {
    const out = new Float64Array(4);
    // V=3, C=2, maxT=2; tokens (1,2) = [2, 0]
    embeddingForward(out, [2, 0], [0, 0, 0, 0, 10, 20], [1, 2, 3, 4], 1, 2, 2);
    expect([...out]).toEqual([11, 22, 3, 4]);
  });

  it('the backward adds the central differences of sum(out * G) into dwte and dwpe', () => {
    const [B, T, C, V] = [2, 3, 4, 5];
    const tokens = [1, 3, 1, 1, 0, 3]; // repeats within and across sequences; 2 and 4 unused
    const rng = new Rng(3);
    const wte = Float64Array.from(rng.normalArray(V * C));
    const wpe = Float64Array.from(rng.normalArray(T * C));
    const G = rng.normalArray(B * T * C);
    const objective = (te: Float64Array, pe: Float64Array) => {
      const out = new Float64Array(B * T * C);
      embeddingForward(out, tokens, te, pe, B, T, C);
      return out.reduce((s, o, i) => s + o * G[i], 0);
    };
    const dwte0 = Float64Array.from(rng.normalArray(V * C));
    const dwpe0 = Float64Array.from(rng.normalArray(T * C));
    const dwte = Float64Array.from(dwte0);
    const dwpe = Float64Array.from(dwpe0);
    embeddingBackward(dwte, dwpe, G, tokens, B, T, C);
    const h = 1e-3;
    const numeric = (w: Float64Array, k: number) => {
      const saved = w[k];
      w[k] = saved + h;
      const plus = objective(wte, wpe);
      w[k] = saved - h;
      const minus = objective(wte, wpe);
      w[k] = saved;
      return (plus - minus) / (2 * h);
    };
    // the objective is linear, so the differences are exact up to roundoff (~1e-13 here)
    for (let k = 0; k < V * C; k++) {
      expect(Math.abs(dwte[k] - dwte0[k] - numeric(wte, k))).toBeLessThan(1e-9);
    }
    for (let k = 0; k < T * C; k++) {
      expect(Math.abs(dwpe[k] - dwpe0[k] - numeric(wpe, k))).toBeLessThan(1e-9);
    }
    // rows of tokens not in the batch are untouched
    expect([...dwte.subarray(2 * C, 3 * C)]).toEqual([...dwte0.subarray(2 * C, 3 * C)]);
  });
});
