import { describe, expect, it } from 'vitest';
import { firstBlocks } from './firstBlocks';

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
