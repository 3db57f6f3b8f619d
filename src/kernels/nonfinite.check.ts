import { submitOps } from '../gpu/ops';
import * as ref from '../reference/nonfinite';
import { compare } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { Rng } from '../util/rng';
import { nonfinite } from './nonfinite';

const TOLERANCE = 'exact (flags are 0 or 1)';

// Ranges of awkward lengths (an empty one included); every third gets one NaN, +inf or -inf at
// a random place, the others only finite values, the largest and smallest f32 among them.
function check(lengths: readonly number[]): KernelCheck {
  return {
    kernel: 'nonfinite',
    variant: 'flags per range',
    shape: `lengths=${lengths.join(',')}`,
    tolerance: TOLERANCE,
    async run(ctx, bufs) {
      const rng = new Rng(lengths.length);
      const total = lengths.reduce((a, b) => a + b, 0);
      const data = rng.normalArray(total, 1e3);
      const ranges = new Uint32Array(2 * lengths.length);
      const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
      let offset = 0;
      lengths.forEach((length, r) => {
        ranges[2 * r] = offset;
        ranges[2 * r + 1] = length;
        if (length > 0) data[offset + rng.int(length)] = 3.4028234663852886e38;
        if (length > 1) data[offset + rng.int(length)] = 1e-45;
        if (r % 3 === 1 && length > 0)
          data[offset + rng.int(length)] = specials[Math.floor(r / 3) % 3];
        offset += length;
      });
      const R = lengths.length;
      const flags = bufs.zeros('flags', R);
      submitOps(ctx, [
        await nonfinite(ctx, flags, bufs.upload('data', data), bufs.upload('ranges', ranges), R),
      ]);
      const expected = new Float64Array(R);
      ref.nonfinite(expected, data, ranges);
      const got = new Uint32Array((await bufs.read(flags, R)).buffer);
      return { flags: compare(got, expected, () => 0.5) };
    },
  };
}

export const nonfiniteChecks: KernelCheck[] = [
  check([1]),
  check([7, 1, 0, 33]),
  check([129, 64, 65, 4099, 7, 1, 2, 3, 1000, 11]),
];
