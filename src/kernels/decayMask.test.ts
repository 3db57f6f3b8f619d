import { describe, expect, it } from 'vitest';
import { decays } from '../reference/adamw';
import { packDecayMask } from './decayMask';

describe('packDecayMask', () => {
  it('packs ranges that cross word boundaries into the right bits', () => {
    const mask = packDecayMask(70, [
      { offset: 30, length: 5 },
      { offset: 64, length: 6 },
    ]);
    expect([...mask]).toEqual([0xc0000000, 0x7, 0x3f]);
  });
  it('fills whole words and leaves their neighbours clear', () => {
    expect([...packDecayMask(96, [{ offset: 32, length: 32 }])]).toEqual([0, 0xffffffff, 0]);
  });
  it('marks exactly the parameters inside the ranges', () => {
    const ranges = [
      { offset: 3, length: 70 },
      { offset: 100, length: 1 },
      { offset: 127, length: 2 },
    ];
    const mask = packDecayMask(129, ranges);
    expect(mask.length).toBe(5);
    for (let i = 0; i < 129; i++) {
      const inside = ranges.some((r) => i >= r.offset && i < r.offset + r.length);
      expect(decays(mask, i), `parameter ${i}`).toBe(inside);
    }
  });
  it('ORs overlapping ranges and ignores empty ones', () => {
    const mask = packDecayMask(40, [
      { offset: 0, length: 4 },
      { offset: 2, length: 4 },
      { offset: 10, length: 0 },
    ]);
    expect([...mask]).toEqual([0x3f, 0]);
  });
  it('refuses a range past the end of the buffer', () => {
    expect(() => packDecayMask(10, [{ offset: 8, length: 3 }])).toThrow(/exceeds n = 10/);
  });
});
