import { describe, expect, it } from 'vitest';
import type { GPTConfig } from '../model/config';
import { initParams } from '../model/init';
import { buildParamTable } from '../model/params';
import { Rng } from '../util/rng';
import { referenceGpt } from './gpt';

const config: GPTConfig = { blockSize: 5, vocabSize: 11, nLayer: 2, nHead: 2, nEmbd: 8 };
const B = 2;
const T = 5;
const table = buildParamTable(config);

function setup() {
  const params = Float64Array.from(initParams(config, table, 5));
  // Larger weights than GPT-2's 0.02 so every path carries gradient well above FD noise.
  const rng = new Rng(9);
  for (const t of table.tensors) {
    for (let i = t.offset; i < t.offset + t.length; i++) params[i] += 0.3 * rng.normal();
  }
  const tokens = Array.from({ length: B * T }, () => rng.int(config.vocabSize));
  const targets = Array.from({ length: B * T }, () => rng.int(config.vocabSize));
  return { params, tokens, targets };
}

describe('reference GPT', () => {
  it('starts near the uniform loss log(V) at GPT-2 initialisation', () => {
    const params = initParams(config, table, 1);
    const { meanLoss } = referenceGpt(
      config,
      params,
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      [2, 3, 4, 5, 6, 7, 8, 9, 10, 0],
      B,
      T,
      table,
    );
    expect(Math.abs(meanLoss - Math.log(config.vocabSize))).toBeLessThan(0.05);
  });

  it("gives every parameter's gradient equal to central finite differences of the loss", () => {
    const { params, tokens, targets } = setup();
    const { grads } = referenceGpt(config, params, tokens, targets, B, T, table);
    const h = 1e-5;
    let checked = 0;
    for (const t of table.tensors) {
      // Every element of small tensors, a spread of elements of the embeddings.
      const stride = t.length > 64 ? 7 : 1;
      for (let i = t.offset; i < t.offset + t.length; i += stride) {
        const saved = params[i];
        params[i] = saved + h;
        const up = referenceGpt(config, params, tokens, targets, B, T, table).meanLoss;
        params[i] = saved - h;
        const down = referenceGpt(config, params, tokens, targets, B, T, table).meanLoss;
        params[i] = saved;
        const fd = (up - down) / (2 * h);
        expect(Math.abs(grads[i] - fd), `${t.name}[${i - t.offset}]`).toBeLessThan(
          1e-7 + 1e-5 * Math.abs(fd),
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500);
  }, 120_000);

  it('leaves the alignment padding of the flat buffer without gradient', () => {
    const { params, tokens, targets } = setup();
    const { grads } = referenceGpt(config, params, tokens, targets, B, T, table);
    let end = 0;
    for (const t of table.tensors) {
      for (let i = end; i < t.offset; i++) expect(grads[i]).toBe(0);
      end = t.offset + t.length;
    }
  });
});
