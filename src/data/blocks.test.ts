import { describe, expect, it } from 'vitest';
import { BatchSampler, Blocks, fillBatch } from './blocks';
import { encodeDocuments, type TokenStream, tokenStream } from './dataset';
import { DataError } from './errors';
import { byteTokenizer } from './tokenizer';
import type { Tokenizer } from './tokenizerTypes';

// Ids 0..n-2 then eos, so every token is its own position and windows are easy to check.
const counting: Tokenizer = { ...byteTokenizer, vocabSize: 1 << 16, eosId: 65535 };
function positions(n: number): TokenStream {
  const tokens = new Uint16Array(n).map((_, i) => i);
  tokens[n - 1] = counting.eosId;
  return tokenStream('train', tokens, counting);
}

describe('Blocks', () => {
  it('cuts floor((n - 1) / T) blocks, block i being tokens [i*T, i*T + T + 1)', () => {
    const blocks = new Blocks(positions(23), 5);
    expect(blocks.count).toBe(4);
    expect(Array.from(blocks.tokens(0))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(blocks.tokens(3))).toEqual([15, 16, 17, 18, 19, 20]);
  });
  it('uses every token once as a target when the stream is a whole number of blocks plus one', () => {
    const blocks = new Blocks(positions(21), 5);
    expect(blocks.count).toBe(4);
    const ids = Uint32Array.from([0, 1, 2, 3]);
    const inputs = new Uint32Array(20);
    const targets = new Uint32Array(20);
    fillBatch(inputs, targets, blocks, ids);
    expect(Array.from(inputs)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(Array.from(targets.subarray(0, 19))).toEqual(
      Array.from({ length: 19 }, (_, i) => i + 1),
    );
    expect(targets[19]).toBe(counting.eosId);
  });
  it('knows each block document and offset, including blocks spanning documents', () => {
    const stream = encodeDocuments('val', ['abcd', 'efghijk', 'lm'], byteTokenizer);
    // positions: abcd=0..3 eos=4, efghijk=5..11 eos=12, lm=13,14 eos=15
    const blocks = new Blocks(stream, 3);
    expect(blocks.count).toBe(5);
    expect(blocks.info(0)).toEqual({
      id: 0,
      split: 'val',
      start: 0,
      doc: 0,
      offset: 0,
      lastDoc: 0,
    });
    expect(blocks.info(1)).toEqual({
      id: 1,
      split: 'val',
      start: 3,
      doc: 0,
      offset: 3,
      lastDoc: 1,
    });
    expect(blocks.info(2)).toEqual({
      id: 2,
      split: 'val',
      start: 6,
      doc: 1,
      offset: 1,
      lastDoc: 1,
    });
    expect(blocks.info(4)).toEqual({
      id: 4,
      split: 'val',
      start: 12,
      doc: 1,
      offset: 7,
      lastDoc: 2,
    });
    expect(byteTokenizer.decode(blocks.tokens(1))).toBe('d<|endoftext|>ef');
  });
  it('never leaves its split: train and val blocks hold only their own documents', () => {
    const train = encodeDocuments('train', ['aaaa', 'aaaaaaa'], byteTokenizer);
    const val = encodeDocuments('val', ['zzzzzz', 'zz'], byteTokenizer);
    for (const [stream, own] of [
      [train, 'a'.charCodeAt(0)],
      [val, 'z'.charCodeAt(0)],
    ] as const) {
      const blocks = new Blocks(stream, 2);
      for (let id = 0; id < blocks.count; id++) {
        expect(blocks.info(id).split).toBe(stream.split);
        for (const t of blocks.tokens(id)) expect([own, 0xff]).toContain(t);
        expect(blocks.tokens(id).length).toBe(3);
      }
    }
  });
  it('rejects a block_size longer than the split, saying what to lower it to', () => {
    expect(() => new Blocks(positions(10), 10)).toThrow(
      /train split has 10 tokens, fewer than one block of block_size \+ 1 = 11 needs: lower block_size to at most 9/,
    );
    expect(() => new Blocks(positions(10), 9)).not.toThrow();
    expect(() => new Blocks(positions(1), 1)).toThrow(/add text to it/);
    expect(() => new Blocks(positions(10), 0)).toThrow(DataError);
    expect(() => new Blocks(positions(10), 2.5)).toThrow(DataError);
  });
});

describe('BatchSampler', () => {
  const B = 4;
  const T = 3;
  const blocks = new Blocks(positions(3 * 10 + 1), T); // 10 blocks
  const draw = (sampler: BatchSampler, steps: number): number[][] => {
    const ids = new Uint32Array(B);
    const inputs = new Uint32Array(B * T);
    const targets = new Uint32Array(B * T);
    const out: number[][] = [];
    for (let s = 0; s < steps; s++) {
      sampler.next(ids, inputs, targets);
      out.push(Array.from(ids));
    }
    return out;
  };

  it('gives the same ids for the same seed and different ids for another', () => {
    expect(draw(new BatchSampler(blocks, B, 42), 12)).toEqual(
      draw(new BatchSampler(blocks, B, 42), 12),
    );
    expect(draw(new BatchSampler(blocks, B, 43), 12)).not.toEqual(
      draw(new BatchSampler(blocks, B, 42), 12),
    );
  });
  it('hands out every block exactly once per epoch, reshuffled each epoch', () => {
    const flat = draw(new BatchSampler(blocks, B, 7), 15).flat(); // 60 ids = 6 epochs
    const epochs = Array.from({ length: 6 }, (_, e) => flat.slice(e * 10, e * 10 + 10));
    for (const epoch of epochs)
      expect([...epoch].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(new Set(epochs.map((e) => e.join(','))).size).toBeGreaterThan(1);
  });
  it('fills inputs and targets with the chosen blocks, shifted by one', () => {
    const sampler = new BatchSampler(blocks, B, 1);
    const ids = new Uint32Array(B);
    const inputs = new Uint32Array(B * T);
    const targets = new Uint32Array(B * T);
    sampler.next(ids, inputs, targets);
    for (let b = 0; b < B; b++) {
      const window = Array.from(blocks.tokens(ids[b]));
      expect(Array.from(inputs.subarray(b * T, b * T + T))).toEqual(window.slice(0, T));
      expect(Array.from(targets.subarray(b * T, b * T + T))).toEqual(window.slice(1));
    }
  });
  it('resumes from its saved state with the same ids as an uninterrupted run', () => {
    const straight = draw(new BatchSampler(blocks, B, 9), 9);
    const first = new BatchSampler(blocks, B, 9);
    const head = draw(first, 4);
    const state = JSON.parse(JSON.stringify(first.state));
    expect(state).toEqual({ seed: 9, epoch: 1, cursor: 6, blocks: 10 });
    expect([...head, ...draw(new BatchSampler(blocks, B, 9, state), 5)]).toEqual(straight);
  });
  it('refuses a state saved for another block count', () => {
    expect(
      () => new BatchSampler(blocks, B, 9, { seed: 9, epoch: 0, cursor: 0, blocks: 11 }),
    ).toThrow(/covers 11 blocks, but this dataset and block_size give 10/);
  });
  it('rejects a batch larger than the split has blocks, saying what to lower', () => {
    expect(() => new BatchSampler(blocks, 11, 0)).toThrow(
      /train split gives 10 blocks of block_size 3, fewer than one batch of 11: lower the batch size to at most 10/,
    );
    expect(() => new BatchSampler(blocks, 10, 0)).not.toThrow();
  });
});
