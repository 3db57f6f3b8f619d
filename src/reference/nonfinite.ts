// Float64 twin of shaders/nonfinite.wgsl.

// flags (R) = [range i of data holds a NaN or an infinity], ranges (R,2) = (offset, length)
export function nonfinite(
  flags: Float64Array,
  data: ArrayLike<number>,
  ranges: ArrayLike<number>,
): void {
  for (let r = 0; r < flags.length; r++) {
    const offset = ranges[2 * r];
    let bad = 0;
    for (let i = offset; i < offset + ranges[2 * r + 1]; i++) {
      if (!Number.isFinite(data[i])) bad = 1;
    }
    flags[r] = bad;
  }
}
