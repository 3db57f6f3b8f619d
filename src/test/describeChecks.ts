import { afterAll, beforeAll, expect, it } from 'vitest';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { runCheck } from '../selftest/runCheck';
import type { KernelCheck } from '../selftest/types';

/** Registers one Vitest test per check; used by the kernels' *.gpu.test.ts files. */
export function testChecks(checks: readonly KernelCheck[]): void {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
  });
  afterAll(() => ctx?.device.destroy());
  for (const check of checks) {
    it(`${check.kernel} ${check.variant} matches the float64 reference at ${check.shape}`, async () => {
      const r = await runCheck(ctx, check);
      expect(r.error).toBeUndefined();
      expect(ctx.takeUncapturedErrors().map((e) => e.message)).toEqual([]);
      expect(
        r.worstRatio,
        `${r.worstOutput}: max abs error ${r.maxAbsError} (${r.tolerance})`,
      ).toBeLessThanOrEqual(1);
      expect(r.pass).toBe(true);
    });
  }
}
