// The RITE checks can fail: each mutant of the GPU optimizer (a text substitution in its WGSL, or
// settings the GPU runs with that the reference does not) is run through real checks of
// loraRite.check.ts, and at least one of them must miss its bound by MARGIN or more. The table of
// measured error / bound per mutant and check is printed (and the unmutated kernel's row, which
// must stay at most 1).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { PipelineCache } from '../gpu/pipelineCache';
import { runCheck } from '../selftest/runCheck';
import type { KernelCheck } from '../selftest/types';
import type { LoraOptimizerSettings } from './loraOptimizer';
import {
  base,
  CHECK_LR,
  invarianceCheck,
  type RiteHp,
  rankSpec,
  riteSettings,
  stepsCheck,
} from './loraRite.check';

const MARGIN = 10;
// compiling a mutated shader on a loaded software adapter can take minutes
const TIMEOUT = 600_000;

interface Substitution {
  shader: 'lora_rite' | 'lora_rite_split';
  from: string;
  to: string;
}

// ctx with a pipeline cache of its own whose device compiles `shader` with one substitution; the
// substitution must apply, so a mutant cannot quietly become the real kernel as the code moves on.
function mutated(ctx: GpuContext, { shader, from, to }: Substitution): GpuContext {
  const device = new Proxy(ctx.device, {
    get(target, key) {
      if (key === 'createShaderModule') {
        return (descriptor: GPUShaderModuleDescriptor) => {
          if (descriptor.label !== shader) return target.createShaderModule(descriptor);
          if (!descriptor.code.includes(from)) throw new Error(`${shader} has no "${from}"`);
          return target.createShaderModule({
            ...descriptor,
            code: descriptor.code.replace(from, to),
          });
        };
      }
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...ctx, pipelines: new PipelineCache(device) };
}

interface Mutant {
  name: string;
  substitution?: Substitution;
  /** The GPU's settings for a check with the reference's settings hp. */
  launch?: (hp: RiteHp) => LoraOptimizerSettings;
}

const mutants: Mutant[] = [
  {
    name: 'P transposed',
    substitution: {
      shader: 'lora_rite',
      from: 'pm[i * r + j] += u * stage[l * r + j];',
      to: 'pm[j * r + i] += u * stage[l * r + j];',
    },
  },
  { name: 'lr x 1.001', launch: (hp) => riteSettings(hp, CHECK_LR * 1.001) },
  { name: 'beta2 0.999 -> 0.99', launch: (hp) => riteSettings({ ...hp, beta2: 0.99 }) },
  {
    name: 'no basis transport (P = I)',
    substitution: {
      shader: 'lora_rite',
      from: 'pm[i * r + j] += u * stage[l * r + j];',
      to: 'pm[i * r + j] = select(0.0, 1.0, i == j);',
    },
  },
  {
    name: 'a GPU step that does nothing',
    substitution: { shader: 'lora_rite', from: 'params[xo + i * r + j] = x;', to: '_ = x;' },
  },
  {
    name: 'R^+ aliased (the old overflow: WG x 32 floats)',
    substitution: {
      shader: 'lora_rite_split',
      from: 'array<f32, max(WG, MAXR) * MAXR>',
      to: 'array<f32, WG * MAXR>',
    },
  },
];

// The real checks each mutant runs through: steps at r = 1 and 16 with the CPU sizes, then for a
// settings mutant r = 16 with the GPU sizes, for a shader mutant the invariance check with a
// general S (a mutated shader compiles at every workgroup size it runs with: seconds to a minute
// each on a software adapter, so one size).
function checksFor(mutant: Mutant): Record<string, KernelCheck> {
  const steps = (r: number, sizes: 'gpu' | 'cpu') => {
    const spec = rankSpec(r, sizes);
    return stepsCheck(spec, mutant.launch?.(spec.hp) ?? riteSettings(spec.hp));
  };
  const checks: Record<string, KernelCheck> = {
    'steps r = 1, cpu sizes': steps(1, 'cpu'),
    'steps r = 16, cpu sizes': steps(16, 'cpu'),
  };
  if (!mutant.substitution) checks['steps r = 16, gpu sizes'] = steps(16, 'gpu');
  if (!mutant.launch) {
    checks['invariance, general S'] = invarianceCheck('general S (cond 10)', base, false);
  }
  return checks;
}

async function ratios(ctx: GpuContext, mutant: Mutant): Promise<Record<string, number>> {
  const mctx = mutant.substitution ? mutated(ctx, mutant.substitution) : ctx;
  const out: Record<string, number> = {};
  for (const [name, check] of Object.entries(checksFor(mutant))) {
    const result = await runCheck(mctx, check);
    // a check that threw on a mutant (e.g. a non-finite value) counts as failed outright
    out[name] = result.error === undefined ? result.worstRatio : Number.POSITIVE_INFINITY;
  }
  return out;
}

const table: string[] = [];

describe('every mutant of the GPU RITE step fails a real check by a clear margin', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
  });
  afterAll(() => {
    console.log(`measured error / bound by check:\n${table.join('\n')}`);
    ctx?.device.destroy();
  });

  it('the kernel itself passes every check of the table', { timeout: TIMEOUT }, async () => {
    const got = await ratios(ctx, { name: 'none' });
    table.push(`unmutated: ${JSON.stringify(got)}`);
    for (const ratio of Object.values(got)) expect(ratio).toBeLessThanOrEqual(1);
  });

  for (const mutant of mutants) {
    it(`${mutant.name}: caught at least ${MARGIN} x over its bound`, {
      timeout: TIMEOUT,
    }, async () => {
      const got = await ratios(ctx, mutant);
      table.push(`${mutant.name}: ${JSON.stringify(got)}`);
      expect(Math.max(...Object.values(got)), JSON.stringify(got)).toBeGreaterThanOrEqual(MARGIN);
      expect(ctx.takeUncapturedErrors().map((e) => e.message)).toEqual([]);
    });
  }
});
