import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { CheckBuffers } from '../selftest/checkBuffers';
import { testChecks } from '../test/describeChecks';
import { adamSettings } from './loraAdam.check';
import { loraGpuRun } from './loraGpuRun';
import {
  F32_INVARIANCE,
  gpuInvarianceErrors,
  loraRiteInvarianceChecks,
  reparams,
} from './loraRite.check';
import { adamDefaults } from './reference/adam';

describe('LoRA-RITE on the GPU is invariant to the factorization of Z', () =>
  testChecks(loraRiteInvarianceChecks));

describe('the invariance check can fail', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
  });
  afterAll(() => ctx?.device.destroy());
  it('GPU Adam from the same two factorizations misses its bound by orders of magnitude', async () => {
    const bufs = new CheckBuffers(ctx);
    const reparam = reparams['general S (cond 10)']();
    try {
      const e = await gpuInvarianceErrors(
        (pairs) => loraGpuRun(ctx, bufs, pairs, adamSettings({ ...adamDefaults, lr: 1e-2 })),
        reparam,
        false,
      );
      expect(e.z).toBeGreaterThan(1e3 * F32_INVARIANCE * reparam.cond);
    } finally {
      bufs.destroy();
    }
  });
});
