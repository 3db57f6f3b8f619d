import { describe, expect, it } from 'vitest';
import type { GPTConfig } from '../model/config';
import { initParams } from '../model/init';
import { buildLoraTable, LORA_TARGETS } from '../model/lora';
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

describe('reference GPT with LoRA adapters', () => {
  const loraTable = buildLoraTable(config, { rank: 2, alpha: 3, targets: LORA_TARGETS });

  // Both factors nonzero (init has A = 0, which would leave dB = 0 and hide errors in it).
  function adapters(): Float64Array {
    const rng = new Rng(11);
    const w = new Float64Array(loraTable.totalLength);
    for (const q of loraTable.pairs) {
      for (let i = 0; i < q.m * q.r; i++) w[q.aOffset + i] = 0.3 * rng.normal();
      for (let i = 0; i < q.n * q.r; i++) w[q.bOffset + i] = 0.3 * rng.normal();
    }
    return w;
  }

  it("gives every adapter factor's gradient equal to central finite differences", () => {
    const { params, tokens, targets } = setup();
    const weights = adapters();
    const lora = { table: loraTable, weights };
    const { loraGrads } = referenceGpt(config, params, tokens, targets, B, T, table, lora);
    const h = 1e-5;
    let checked = 0;
    for (const q of loraTable.pairs) {
      const ranges: [string, number, number][] = [
        ['A', q.aOffset, q.m * q.r],
        ['B', q.bOffset, q.n * q.r],
      ];
      for (const [factor, offset, length] of ranges) {
        for (let i = offset; i < offset + length; i += 3) {
          const kept = weights[i];
          weights[i] = kept + h;
          const up = referenceGpt(config, params, tokens, targets, B, T, table, lora).meanLoss;
          weights[i] = kept - h;
          const down = referenceGpt(config, params, tokens, targets, B, T, table, lora).meanLoss;
          weights[i] = kept;
          const fd = (up - down) / (2 * h);
          expect(Math.abs(loraGrads[i] - fd), `${q.name} ${factor}[${i - offset}]`).toBeLessThan(
            1e-7 + 1e-5 * Math.abs(fd),
          );
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(150);
  }, 120_000);

  it('gives the base gradients of the weight W + (alpha/r) A B^T the adapters stand for', () => {
    const { params, tokens, targets } = setup();
    const weights = adapters();
    const merged = Float64Array.from(params);
    for (const q of loraTable.pairs) {
      const w = table.byName.get(`${q.name}.weight`);
      if (!w) throw new Error(q.name);
      for (let i = 0; i < q.m; i++) {
        for (let j = 0; j < q.n; j++) {
          let z = 0;
          for (let k = 0; k < q.r; k++)
            z += weights[q.aOffset + i * q.r + k] * weights[q.bOffset + j * q.r + k];
          merged[w.offset + i * q.n + j] += loraTable.scale * z;
        }
      }
    }
    const withAdapters = referenceGpt(config, params, tokens, targets, B, T, table, {
      table: loraTable,
      weights,
    });
    const plain = referenceGpt(config, merged, tokens, targets, B, T, table);
    expect(Math.abs(withAdapters.meanLoss - plain.meanLoss)).toBeLessThan(1e-12);
    for (let i = 0; i < plain.grads.length; i++)
      expect(Math.abs(withAdapters.grads[i] - plain.grads[i])).toBeLessThan(1e-10);
  });
});
