import { describe, expect, it } from 'vitest';
import { testChecks } from '../selftest/describeChecks';
import {
  adamInvarianceErrors,
  F32_INVARIANCE,
  invarianceCase,
  loraRiteChecks,
} from './loraRite.check';

describe('LoRA-RITE optimizer kernel', () => testChecks(loraRiteChecks));

describe('the invariance check can fail', () => {
  it('Adam from the same two factorizations misses its bound by orders of magnitude', async () => {
    const e = await adamInvarianceErrors(invarianceCase);
    expect(e.z).toBeGreaterThan(1e3 * F32_INVARIANCE * e.cond);
  });
});
