// LoRA-RITE on the GPU for all pairs at once: two dispatches a step, one workgroup per factor
// (shaders/lora_rite_split.wgsl: steps 1-2) then one per side (shaders/lora_rite.wgsl: steps
// 3-10), over the flat buffers of loraLayout and a per-pair table. Both order their Jacobi
// rotations by shaders/lora_rite_rounds.wgsl. Checked against reference/loraRite.ts in
// loraRite.check.ts.

import { createStorage } from '../gpu/buffers';
import type { AdapterReport, GpuContext } from '../gpu/device';
import { writeUniform } from '../gpu/uniforms';
import { loraRiteSide, loraRiteSplit } from '../kernels/loraRite';
import type { LoraOptimizer, LoraOptimizerSettings, LoraPairBuffers } from './loraOptimizer';
import { createLoraTable } from './loraTable';
import { biasCorrectedDecay } from './reference/loraRite';

// Jacobi converges quadratically once the off-diagonal is small and stops when a sweep rotates
// nothing; 12 sweeps is a cap well past f32 convergence for r <= 32 (the reference needs 5-8 in
// float64 at r = 4-8).
const MAX_SWEEPS = 12;

/** Invocations per workgroup of the split and the side kernel. */
export interface RiteWorkgroups {
  split: number;
  side: number;
}

/**
 * A GPU wants a warp or more (the split's 32 is what its column sums, 32 floats an invocation,
 * leave room for in 16 KiB; each shader's header gives its workgroup memory by size: the split
 * takes 1 to 32, the side kernel powers of two up to 64). A CPU adapter (SwiftShader) runs a workgroup on one thread 4 lanes at
 * a time and switches between its groups of 4 at every barrier, so one group of 4 is fastest
 * there (2-3x faster than 32 and 64).
 */
export const RITE_WORKGROUPS: Record<'gpu' | 'cpu', RiteWorkgroups> = {
  gpu: { split: 32, side: 64 },
  cpu: { split: 4, side: 4 },
};

export function riteWorkgroups(adapter: AdapterReport): RiteWorkgroups {
  const cpu = adapter.architecture === 'swiftshader' || adapter.isFallbackAdapter;
  return RITE_WORKGROUPS[cpu ? 'cpu' : 'gpu'];
}

// The f32 fields of the side kernel's uniform, computed in float64 and rounded once.
function sideF32(s: LoraOptimizerSettings, t: number, lr: number): number[] {
  const b1 = biasCorrectedDecay(s.beta1, t);
  const b2 = biasCorrectedDecay(s.beta2, t);
  return [lr, b1, 1 - b1, b2, 1 - b2, s.eps, s.weightDecay, s.clipNorm];
}

// params, grads (loraLayout of pairs) -> one RITE step of every pair, state made here (zero:
// M = 0, V = 0, rho = 0, stored bases 0, as the reference's createLoraRiteState)
export async function createLoraRite(
  ctx: GpuContext,
  pairs: readonly LoraPairBuffers[],
  settings: LoraOptimizerSettings,
): Promise<LoraOptimizer> {
  const table = createLoraTable(ctx, pairs);
  const L = table.layout.length;
  const S = table.smallLength;
  const sides = 2 * pairs.length;
  const params = pairs[0].a.buffer;
  const grads = pairs[0].da.buffer;
  // scratch: U (L), g (L), R^+ (S), per-side sums of squares; state: M (L), bases (L), V and rho (S)
  const scratchBase = [0, L, 2 * L, 2 * L + S];
  const stateBase = [0, L, 2 * L];
  const scratch = createStorage(ctx, 'lora.rite.scratch', 2 * L + S + sides);
  const state = createStorage(ctx, 'lora.rite.state', 2 * L + S);
  const status = createStorage(ctx, 'lora.status', sides);
  const wg = riteWorkgroups(ctx.adapter);
  const split = await loraRiteSplit(ctx, {
    constants: { WG: wg.split, MAX_SWEEPS },
    params: { u32: [pairs.length, ...scratchBase] },
    buffers: [table.buffer, params, grads, scratch],
    workgroups: [sides],
  });
  const u32 = [
    pairs.length,
    settings.escapedMass ? 1 : 0,
    settings.clipNorm > 0 ? 1 : 0,
    ...scratchBase,
    ...stateBase,
  ];
  const step = await loraRiteSide(ctx, {
    constants: { WG: wg.side, MAX_SWEEPS },
    params: { u32, f32: sideF32(settings, 0, settings.lr) },
    buffers: [table.buffer, params, grads, scratch, state, status],
    workgroups: [sides],
  });
  const commands = [split, step];
  return {
    kind: 'rite',
    status,
    // Scratch is rewritten by every step's split; M, the stored bases, V and rho carry over.
    state: [state],
    commands: () => commands,
    setStep: (t, lr) => writeUniform(ctx, step.params, u32, sideF32(settings, t, lr)),
    destroy() {
      for (const b of [table.buffer, scratch, state, status, split.params, step.params])
        b.destroy();
    },
  };
}
