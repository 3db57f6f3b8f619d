import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { biasBackward, matmul } from './matmul';

describe('matmul reference', () => {
  it('multiplies 2x2 matrices in every transpose variant', () => {
    const a = [1, 2, 3, 4];
    const b = [5, 6, 7, 8];
    const at = [1, 3, 2, 4];
    const bt = [5, 7, 6, 8];
    const expected = [19, 22, 43, 50];
    for (const [x, y, transA, transB] of [
      [a, b, false, false],
      [a, bt, false, true],
      [at, b, true, false],
      [at, bt, true, true],
    ] as const) {
      const out = new Float64Array(4);
      matmul(out, x, y, null, { M: 2, N: 2, K: 2, transA, transB });
      expect([...out]).toEqual(expected);
    }
  });

  it('adds the bias per column and accumulates into out', () => {
    const out = Float64Array.from([100, 200, 300, 400, 500, 600]);
    // (3,1) . (1,2) + bias (2) + out
    matmul(out, [1, 2, 3], [10, 20], [1, 2], { M: 3, N: 2, K: 1, accumulate: true });
    expect([...out]).toEqual([111, 222, 321, 442, 531, 662]);
  });

  it('broadcasts an operand with batch stride 0', () => {
    const out = new Float64Array(4);
    // two batch items of a (1,2) row times one shared (2,2) matrix
    matmul(out, [1, 0, 0, 1], [1, 2, 3, 4], null, { M: 1, N: 2, K: 2, batch: 2, strideB: 0 });
    expect([...out]).toEqual([1, 2, 3, 4]);
  });

  it('sums bias gradients over rows and adds them to dbias', () => {
    const dbias = Float64Array.from([1, 1]);
    biasBackward(dbias, [1, 2, 3, 4, 5, 6], 3, 2);
    expect([...dbias]).toEqual([10, 13]);
  });
});

// The linear layer as the GPT engine runs it: out (BT,OC) = inp (BT,C) · W^T + b, W (OC,C).
describe('linear layer backward from the matmul reference', () => {
  const BT = 5;
  const C = 4;
  const OC = 3;
  const rng = new Rng(7);
  const inp = Float64Array.from(rng.normalArray(BT * C));
  const W = Float64Array.from(rng.normalArray(OC * C));
  const bias = Float64Array.from(rng.normalArray(OC));
  const G = Float64Array.from(rng.normalArray(BT * OC));

  // loss = sum(out * G), so dout = G
  const loss = () => {
    const out = new Float64Array(BT * OC);
    matmul(out, inp, W, bias, { M: BT, N: OC, K: C, transB: true });
    return out.reduce((s, v, i) => s + v * G[i], 0);
  };
  const numeric = (x: Float64Array) =>
    Array.from(x, (_, i) => {
      const h = 1e-5;
      const saved = x[i];
      x[i] = saved + h;
      const up = loss();
      x[i] = saved - h;
      const down = loss();
      x[i] = saved;
      return (up - down) / (2 * h);
    });
  // Gradients start non-zero to check that backward adds into them, as the kernels do.
  const start = 0.5;
  const dinp = new Float64Array(BT * C).fill(start);
  const dW = new Float64Array(OC * C).fill(start);
  const dbias = new Float64Array(OC).fill(start);
  // dinp (BT,C) += dout (BT,OC) · W (OC,C)
  matmul(dinp, G, W, null, { M: BT, N: C, K: OC, accumulate: true });
  // dW (OC,C) += dout^T (OC,BT) · inp (BT,C)
  matmul(dW, G, inp, null, { M: OC, N: C, K: BT, transA: true, accumulate: true });
  biasBackward(dbias, G, BT, OC);

  // loss is linear in each parameter: central differences are exact up to f64 rounding (~1e-10).
  const close = (analytic: Float64Array, fd: number[]) => {
    for (let i = 0; i < fd.length; i++) {
      expect(Math.abs(analytic[i] - start - fd[i])).toBeLessThan(1e-8 * (1 + Math.abs(fd[i])));
    }
  };
  it('dinp matches central finite differences', () => close(dinp, numeric(inp)));
  it('dW matches central finite differences', () => close(dW, numeric(W)));
  it('dbias matches central finite differences', () => close(dbias, numeric(bias)));
});
