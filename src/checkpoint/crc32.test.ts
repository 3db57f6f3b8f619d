import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32';

// Bit by bit, straight from the polynomial: the slicing tables must agree with it.
function crc32Bitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32', () => {
  it('gives the standard check value of "123456789"', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('agrees with the bitwise definition on every length from 0 to 70', () => {
    const bytes = Uint8Array.from({ length: 70 }, (_, i) => (i * 2654435761) >>> 24);
    for (let n = 0; n <= 70; n++) {
      expect(crc32(bytes.subarray(0, n))).toBe(crc32Bitwise(bytes.subarray(0, n)));
    }
  });

  it('continues over a following range', () => {
    const bytes = Uint8Array.from({ length: 1001 }, (_, i) => (i * 40503) & 0xff);
    expect(crc32(bytes.subarray(333), crc32(bytes.subarray(0, 333)))).toBe(crc32(bytes));
  });
});
