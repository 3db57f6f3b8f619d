import { describe, expect, it } from 'vitest';
import { type AdamwStep, adamw } from './adamw';

// eps = 0 makes the hand computation exact: at t = 1 the bias-corrected update is sign(g).
const hp = (step: number): AdamwStep => ({
  lr: 0.1,
  beta1: 0.9,
  beta2: 0.99,
  eps: 0,
  weightDecay: 0.5,
  step,
});
// Parameter 0 takes weight decay (bit 0 set), parameter 1 (a bias, say) does not.
const mask = Uint32Array.of(0b01);

function expectClose(actual: Float64Array, expected: number[]): void {
  expected.forEach((e, i) => {
    expect(actual[i], `element ${i}`).toBeCloseTo(e, 12);
  });
}

describe('adamw reference', () => {
  it('takes a sign step at t = 1 thanks to bias correction, decaying only masked parameters', () => {
    const p = Float64Array.of(1, -2);
    const m = new Float64Array(2);
    const v = new Float64Array(2);
    adamw(p, m, v, [0.5, -0.25], [0, 1], mask, hp(1));
    expectClose(m, [0.05, -0.025]);
    expectClose(v, [0.0025, 0.000625]);
    // p0 = 1 - 0.1 (1 + 0.5 * 1); p1 = -2 - 0.1 (-1)
    expectClose(p, [0.85, -1.9]);
  });

  it('carries the moments into step 2 with its own bias corrections', () => {
    const p = Float64Array.of(1, -2);
    const m = new Float64Array(2);
    const v = new Float64Array(2);
    adamw(p, m, v, [0.5, -0.25], [0, 1], mask, hp(1));
    adamw(p, m, v, [0.5, 0.25], [0, 1], mask, hp(2));
    // m1 = 0.9 (-0.025) + 0.1 (0.25) = 0.0025; v1 = 0.99 * 0.000625 + 0.01 * 0.0625 = 0.00124375
    expectClose(m, [0.095, 0.0025]);
    expectClose(v, [0.004975, 0.00124375]);
    // p0: mhat = 0.095 / 0.19 = 0.5, sqrt(vhat) = sqrt(0.004975 / 0.0199) = 0.5, so update 1;
    //     0.85 - 0.1 (1 + 0.5 * 0.85) = 0.7075.
    // p1: mhat = 0.0025 / 0.19 = 1/76, sqrt(vhat) = sqrt(0.00124375 / 0.0199) = 0.25;
    //     -1.9 - 0.1 (1/76) / 0.25 = -1.9 - 0.1 / 19.
    expectClose(p, [0.7075, -1.9 - 0.1 / 19]);
  });

  it('applies the clip scale in norm[1] to the gradient before the moments', () => {
    const p = Float64Array.of(1, -2);
    const m = new Float64Array(2);
    const v = new Float64Array(2);
    adamw(p, m, v, [0.5, -0.25], [123, 0.5], mask, hp(1));
    expectClose(m, [0.025, -0.0125]);
    expectClose(v, [0.000625, 0.00015625]);
    // A uniform scale cancels in mhat / sqrt(vhat) when eps = 0.
    expectClose(p, [0.85, -1.9]);
  });

  it('shrinks a masked parameter with a zero gradient by lr * wd and leaves an unmasked one', () => {
    const p = Float64Array.of(2, 2);
    adamw(p, new Float64Array(2), new Float64Array(2), [0, 0], [0, 1], mask, {
      ...hp(1),
      eps: 1e-8,
    });
    expectClose(p, [2 - 0.1 * 0.5 * 2, 2]);
  });
});
