import { describe, expect, it } from 'vitest';
import { adamw } from '../../reference/adamw';
import { Rng } from '../../util/rng';
import { randn } from '../linalg';
import { adamDefaults, adamStep, createAdamState } from './adam';

describe('LoRA Adam reference', () => {
  it('moves every entry by -lr g / (|g| + eps) on the first step', () => {
    const rng = new Rng(1);
    const pair = { a: randn(rng, 5, 3), b: randn(rng, 4, 3) };
    const before = structuredClone(pair);
    const grad = { da: randn(rng, 5, 3), db: randn(rng, 4, 3) };
    const hp = { ...adamDefaults, lr: 0.01 };
    adamStep([pair], [grad], createAdamState([pair]), hp);
    for (const [x, x0, g] of [
      [pair.a, before.a, grad.da],
      [pair.b, before.b, grad.db],
    ]) {
      for (let i = 0; i < x.data.length; i++) {
        const expected = x0.data[i] - (hp.lr * g.data[i]) / (Math.abs(g.data[i]) + hp.eps);
        expect(x.data[i]).toBeCloseTo(expected, 15);
      }
    }
  });

  it('matches the model AdamW reference on the factors, weight decay on, over 3 steps', () => {
    const rng = new Rng(2);
    const pair = { a: randn(rng, 6, 2), b: randn(rng, 3, 2) };
    const flat = Float64Array.from([...pair.a.data, ...pair.b.data]);
    const m = new Float64Array(flat.length);
    const v = new Float64Array(flat.length);
    const mask = Uint32Array.of(0xffffffff); // all 18 entries decay
    const hp = { ...adamDefaults, lr: 0.05, weightDecay: 0.1 };
    const state = createAdamState([pair]);
    for (let step = 1; step <= 3; step++) {
      const grad = { da: randn(rng, 6, 2), db: randn(rng, 3, 2) };
      adamStep([pair], [grad], state, hp);
      adamw(flat, m, v, [...grad.da.data, ...grad.db.data], [0, 1], mask, { ...hp, step });
    }
    // same operations in the same order: bit-identical
    expect([...pair.a.data, ...pair.b.data]).toEqual([...flat]);
  });
});
