import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { geluBackward, geluForward } from './gelu';

const S = Math.sqrt(2 / Math.PI);
const u = (x: number) => S * (x + 0.044715 * x ** 3);
const gelu1 = (x: number) => {
  const out = new Float64Array(1);
  geluForward(out, [x], 1);
  return out[0];
};

describe('gelu reference', () => {
  it('matches the tanh formula 0.5 x (1 + tanh(u)) where that formula is well conditioned', () => {
    // For x >= -3, 1 + tanh(u) >= 2e-5, so the direct formula keeps ~11 digits.
    for (let x = -3; x <= 6; x += 0.125) {
      const direct = 0.5 * x * (1 + Math.tanh(u(x)));
      expect(Math.abs(gelu1(x) - direct)).toBeLessThanOrEqual(1e-10 * Math.abs(direct));
    }
  });

  it('follows the left tail x exp(2u) where 1 + tanh(u) cancels to nothing', () => {
    // gelu = x e^{2u} / (1 + e^{2u}): relative distance from the tail form is e^{2u} < 2e-11 for x <= -6.
    for (let x = -20; x <= -6; x += 0.5) {
      const tail = x * Math.exp(2 * u(x));
      expect(Math.abs(gelu1(x) - tail)).toBeLessThanOrEqual(1e-9 * Math.abs(tail));
    }
  });

  it('has the known value gelu(1) = 0.5 (1 + tanh(sqrt(2/pi) 1.044715))', () => {
    expect(gelu1(1)).toBeCloseTo(0.8411919906082768, 14);
    expect(gelu1(0)).toBe(0);
  });

  it('backward matches central finite differences of sum(out * G)', () => {
    const n = 64;
    const rng = new Rng(7);
    const inp = Float64Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 8 : 2) * rng.normal());
    const G = Float64Array.from({ length: n }, () => rng.normal());
    const dinp0 = Float64Array.from({ length: n }, () => rng.normal());
    const dinp = Float64Array.from(dinp0);
    geluBackward(dinp, inp, G, n);
    // Each element's loss depends on its own x only; h = 1e-5 leaves truncation h^2 |f'''| / 6
    // and rounding 1e-16 |f| / h, both below 1e-7 (1 + |gelu'|) for |x| <= 30.
    const h = 1e-5;
    for (let i = 0; i < n; i++) {
      const fd = (G[i] * (gelu1(inp[i] + h) - gelu1(inp[i] - h))) / (2 * h);
      const analytic = dinp[i] - dinp0[i];
      expect(Math.abs(analytic - fd)).toBeLessThanOrEqual(1e-7 * (1 + Math.abs(fd)));
    }
  });

  it('backward adds into dinp', () => {
    const dinp = Float64Array.from([5]);
    geluBackward(dinp, [0], [2], 1);
    expect(dinp[0]).toBe(6); // gelu'(0) = 0.5
  });
});
