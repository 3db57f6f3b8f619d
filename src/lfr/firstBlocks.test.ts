import { describe, expect, it } from 'vitest';
import { chosenBlocks, firstBlocks, sampledBlocks } from './firstBlocks';

const stream = {
  split: 'train' as const,
  tokens: Uint32Array.from({ length: 41 }, (_, i) => i),
  docStarts: Uint32Array.of(0, 5, 17, 30),
};

describe('firstBlocks', () => {
  it('keeps the first n blocks with the same tokens and documents as the whole split', () => {
    const blocks = firstBlocks(stream, 4, 3);
    expect(blocks.count).toBe(3);
    expect(Array.from(blocks.tokens(2))).toEqual([8, 9, 10, 11, 12]);
    expect(blocks.info(2)).toMatchObject({ doc: 1, offset: 3, lastDoc: 1 });
    expect(Array.from(blocks.stream.docStarts)).toEqual([0, 5]);
  });

  it('takes every block for 0 or for more blocks than the split has', () => {
    expect(firstBlocks(stream, 4, 0).count).toBe(10);
    expect(firstBlocks(stream, 4, 50).count).toBe(10);
  });

  it('refuses a count that is not a whole number', () => {
    expect(() => firstBlocks(stream, 4, -1)).toThrow(
      'blocks must be a whole number, 0 for all, not -1.',
    );
  });
});

describe('sampledBlocks', () => {
  it('draws n of the split windows from the seed, in stream order: the ids the Python generator gives', () => {
    // scripts/lfr_replay.py: sorted(fisher_yates(list(range(10)), 5 ^ 0x5bd1e995)[:4]).
    const blocks = sampledBlocks(stream, 4, 4, 5);
    expect(blocks.count).toBe(4);
    expect([0, 1, 2, 3].map((id) => blocks.start(id))).toEqual([3, 4, 6, 8].map((i) => i * 4));
    expect(Array.from(blocks.tokens(0))).toEqual([12, 13, 14, 15, 16]);
    expect(blocks.info(1)).toMatchObject({ start: 16, doc: 1, offset: 11, lastDoc: 2 });
    expect(blocks.stream).toBe(stream);
  });

  it('takes another sample for another seed, and every block for 0', () => {
    const starts = (seed: number) => {
      const b = sampledBlocks(stream, 4, 4, seed);
      return [0, 1, 2, 3].map((id) => b.start(id));
    };
    expect(starts(6)).not.toEqual(starts(5));
    expect(sampledBlocks(stream, 4, 0, 5).count).toBe(10);
    expect(sampledBlocks(stream, 4, 0, 5).start(3)).toBe(12);
  });

  it('is the first blocks when no seed is given', () => {
    expect(chosenBlocks(stream, 4, 3, null).stream.tokens).toHaveLength(13);
    expect(chosenBlocks(stream, 4, 3, 5).stream.tokens).toHaveLength(41);
  });
});
