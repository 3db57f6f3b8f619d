import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { layernormBackward, layernormForward } from './layernorm';

const normals = (rng: Rng, n: number, offset = 0) =>
  Float64Array.from({ length: n }, () => offset + rng.normal());

function forward(inp: Float64Array, w: Float64Array, b: Float64Array, N: number, C: number) {
  const out = new Float64Array(N * C);
  const mean = new Float64Array(N);
  const rstd = new Float64Array(N);
  layernormForward(out, mean, rstd, inp, w, b, N, C);
  return { out, mean, rstd };
}

describe('layernorm reference', () => {
  it('matches the direct formula (x - E[x]) / sqrt(E[x^2] - E[x]^2 + eps) * w + b', () => {
    const [N, C] = [3, 10];
    const rng = new Rng(1);
    const inp = normals(rng, N * C, 2);
    const w = normals(rng, C);
    const b = normals(rng, C);
    const { out, mean, rstd } = forward(inp, w, b, N, C);
    for (let n = 0; n < N; n++) {
      const row = inp.subarray(n * C, (n + 1) * C);
      const ex = row.reduce((s, x) => s + x, 0) / C;
      const ex2 = row.reduce((s, x) => s + x * x, 0) / C;
      const sd = Math.sqrt(ex2 - ex * ex + 1e-5);
      expect(mean[n]).toBeCloseTo(ex, 12);
      expect(rstd[n]).toBeCloseTo(1 / sd, 12);
      for (let i = 0; i < C; i++) {
        expect(out[n * C + i]).toBeCloseTo(((row[i] - ex) / sd) * w[i] + b[i], 12);
      }
    }
  });

  it('maps a row to bias when its values are all equal (variance 0, only eps)', () => {
    const { out } = forward(
      Float64Array.from([4, 4, 4]),
      Float64Array.from([2, 3, 5]),
      Float64Array.from([1, 2, 3]),
      1,
      3,
    );
    expect([...out]).toEqual([1, 2, 3]);
  });

  it('backward matches central finite differences of sum(out * G) for inp, weight and bias', () => {
    const [N, C] = [4, 9];
    const rng = new Rng(2);
    const inp = normals(rng, N * C, 1);
    const w = normals(rng, C);
    const b = normals(rng, C);
    const G = normals(rng, N * C);
    const loss = () => forward(inp, w, b, N, C).out.reduce((s, o, i) => s + o * G[i], 0);
    const { mean, rstd } = forward(inp, w, b, N, C);
    // Start from nonzero gradients: backward must add, not overwrite.
    const dinp0 = normals(rng, N * C);
    const dw0 = normals(rng, C);
    const db0 = normals(rng, C);
    const dinp = Float64Array.from(dinp0);
    const dw = Float64Array.from(dw0);
    const db = Float64Array.from(db0);
    layernormBackward(dinp, dw, db, G, inp, w, mean, rstd, N, C);
    // h = 1e-5: truncation h^2 |L'''| / 6 and rounding 1e-16 |L| / h stay below 1e-7 here
    // (|L| ~ 10, third derivatives O(rstd^3) with rstd ~ 1).
    const h = 1e-5;
    const check = (x: Float64Array, analytic: Float64Array, before: Float64Array) => {
      for (let i = 0; i < x.length; i++) {
        const x0 = x[i];
        x[i] = x0 + h;
        const up = loss();
        x[i] = x0 - h;
        const down = loss();
        x[i] = x0;
        const fd = (up - down) / (2 * h);
        expect(Math.abs(analytic[i] - before[i] - fd)).toBeLessThanOrEqual(
          1e-7 * (1 + Math.abs(fd)),
        );
      }
    };
    check(inp, dinp, dinp0);
    check(w, dw, dw0);
    check(b, db, db0);
  });
});
