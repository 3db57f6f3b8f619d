/** A contiguous run of the flat parameter buffer, in f32 elements. */
export interface ParamRange {
  offset: number;
  length: number;
}

/**
 * The AdamW weight-decay mask: bit (i % 32) of word (i / 32) is set when parameter i takes weight
 * decay. One bit per parameter keeps the mask at 1/32 of the parameter buffer (~19 MB at 150M).
 */
export function packDecayMask(n: number, decayRanges: readonly ParamRange[]): Uint32Array {
  const words = new Uint32Array(Math.ceil(n / 32));
  for (const { offset, length } of decayRanges) {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0) {
      throw new Error(
        `packDecayMask: range [${offset}, +${length}) is not a non-negative integer range`,
      );
    }
    if (offset + length > n) {
      throw new Error(`packDecayMask: range [${offset}, ${offset + length}) exceeds n = ${n}`);
    }
    const end = offset + length;
    let i = offset;
    // Bits one by one up to a word boundary, then whole words, then the tail: a 150M-parameter
    // model is mostly matrices, and a bit loop over them would take seconds.
    while (i < end && i % 32 !== 0) {
      words[i >>> 5] |= 1 << (i & 31);
      i++;
    }
    while (i + 32 <= end) {
      words[i >>> 5] = 0xffffffff;
      i += 32;
    }
    while (i < end) {
      words[i >>> 5] |= 1 << (i & 31);
      i++;
    }
  }
  return words;
}
