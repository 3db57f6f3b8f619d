import { describe, expect, it } from 'vitest';
import { fuzzTarget } from './fuzz';
import { FUZZ_TARGETS } from './targets';

/** The fixed seed of `npm test`; `npm run test:fuzz -- --seed N --cases M` explores further. */
const SEED = 20_261_204;

// All targets together stay within 60 s on a loaded two-core machine.
describe('fuzz: every parser a user reaches refuses bad input clearly, within 2 s', {
  timeout: 60_000,
}, () => {
  for (const target of FUZZ_TARGETS) {
    it(`${target.name}: ${target.testCases} mutated inputs after the fixed ones`, async () => {
      const report = await fuzzTarget(target, SEED, target.testCases);
      expect(report.failures).toEqual([]);
      expect(report.cases).toBeGreaterThanOrEqual(target.testCases);
    });
  }
});
