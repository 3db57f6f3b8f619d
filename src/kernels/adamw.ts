import code from '../../shaders/adamw.wgsl?raw';
import type { Buf } from '../gpu/buffers';
import { createOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import { grid1d, type KernelOp } from '../gpu/ops';
import type { ShaderSource } from '../gpu/pipelineCache';
import { writeUniform } from '../gpu/uniforms';
import type { AdamwStep } from '../reference/adamw';

const shader: ShaderSource = { name: 'adamw', code };
const WG = 256;

export interface AdamwOp extends KernelOp {
  /** Rewrites the uniform for the next step (lr schedule, t); allocates no GPU object. */
  setStep(hp: AdamwStep): void;
}

/** The f32 fields of the kernel's uniform, computed in float64 and rounded once. */
function adamwF32(hp: AdamwStep): number[] {
  if (!Number.isInteger(hp.step) || hp.step < 1) {
    throw new Error(`adamw: step must be a 1-based integer, got ${hp.step}`);
  }
  const { lr, beta1, beta2, eps, weightDecay, step } = hp;
  return [
    lr,
    beta1,
    1 - beta1,
    beta2,
    1 - beta2,
    eps,
    weightDecay,
    1 / (1 - beta1 ** step),
    1 / (1 - beta2 ** step),
  ];
}

// params, m, v (n) updated in place from grads (n) * norm[1] (the clip scale from gradNorm);
// decayMask (ceil(n / 32)) from packDecayMask
export async function adamw(
  ctx: GpuContext,
  params: Buf,
  m: Buf,
  v: Buf,
  grads: Buf,
  norm: Buf,
  decayMask: Buf,
  n: number,
  hp: AdamwStep,
): Promise<AdamwOp> {
  const op = await createOp(ctx, {
    label: 'adamw',
    shader,
    constants: { WG },
    params: { u32: [n], f32: adamwF32(hp) },
    buffers: [params, m, v, grads, norm, decayMask],
    workgroups: grid1d(Math.ceil(n / WG)),
  });
  return {
    label: op.label,
    encode: op.encode,
    setStep: (next) => writeUniform(ctx, op.params, [n], adamwF32(next)),
  };
}
