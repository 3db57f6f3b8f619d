import { describe, expect, it } from 'vitest';
import { presetById } from './config';
import { estimateMemory, validateSettings } from './validate';

const tiny = presetById('tiny');
const limits = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };

describe('validateSettings', () => {
  it('accepts every preset', () => {
    for (const id of ['tiny', 'small', 'medium']) {
      const p = presetById(id);
      expect(validateSettings(p.model, p.train, limits)).toEqual([]);
    }
  });
  it('refuses n_embd not divisible by n_head and suggests a width', () => {
    const [e] = validateSettings({ ...tiny.model, nEmbd: 66 }, tiny.train, limits);
    expect(e).toMatch(/n_embd \(66\) must be divisible by n_head \(4\).*n_embd = 64/);
  });
  it('refuses zero and negative sizes', () => {
    const errors = validateSettings(
      { ...tiny.model, nLayer: 0, blockSize: -4 },
      tiny.train,
      limits,
    );
    expect(errors.join('\n')).toMatch(/n_layer must be a whole number of at least 1 \(got 0\)/);
    expect(errors.join('\n')).toMatch(/block_size must be a whole number of at least 1 \(got -4\)/);
  });
  it('refuses a model whose logits exceed the adapter buffer limit', () => {
    const small = presetById('small');
    const errors = validateSettings(
      small.model,
      { ...small.train, batchSize: 64 },
      {
        maxStorageBufferBindingSize: 128 * 2 ** 20,
        maxBufferSize: 256 * 2 ** 20,
      },
    );
    expect(errors[0]).toMatch(/logits .* over this GPU's largest buffer of 128\.0 MiB/);
  });
  // Mutant caught: sizing the model by building its parameter table (1e9 layers: out of memory).
  it('refuses a billion-layer model at once, naming the parameters as too large for the GPU', () => {
    const started = performance.now();
    const errors = validateSettings({ ...tiny.model, nLayer: 1_000_000_000 }, tiny.train, limits);
    expect(errors[0]).toMatch(/The parameters would take .* over this GPU's largest buffer/);
    expect(performance.now() - started).toBeLessThan(1000);
  });
  it('refuses a block size longer than the data', () => {
    const errors = validateSettings(tiny.model, tiny.train, limits, 100);
    expect(errors[0]).toMatch(/has 100 tokens, fewer than one batch/);
  });
  it('refuses a learning rate of zero', () => {
    expect(validateSettings(tiny.model, { ...tiny.train, learningRate: 0 }, limits)[0]).toMatch(
      /learning rate must be greater than 0/,
    );
  });
});

describe('estimateMemory', () => {
  it('grows with batch size and counts four copies of the parameters', () => {
    const a = estimateMemory(tiny.model, 4);
    const b = estimateMemory(tiny.model, 8);
    expect(b.activationBytes).toBeGreaterThan(a.activationBytes);
    expect(a.paramBytes).toBe(b.paramBytes);
  });
});
