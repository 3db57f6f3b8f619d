// Launchers of LoRA-RITE's two kernels; src/optim/loraRite.ts sizes and schedules them. Both
// order their Jacobi rotations by shaders/lora_rite_rounds.wgsl and read the pair table through
// shaders/lora_table.wgsl, both prepended to each.
import code from '../../shaders/lora_rite.wgsl?raw';
import roundsCode from '../../shaders/lora_rite_rounds.wgsl?raw';
import splitCode from '../../shaders/lora_rite_split.wgsl?raw';
import tableCode from '../../shaders/lora_table.wgsl?raw';
import { createOp, type OpSpec, type PreparedOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import type { ShaderSource } from '../gpu/pipelineCache';

const sideShader: ShaderSource = { name: 'lora_rite', code: roundsCode + tableCode + code };
const splitShader: ShaderSource = {
  name: 'lora_rite_split',
  code: roundsCode + tableCode + splitCode,
};

/** A LoRA kernel's launch: everything but the shader, which the launcher names. */
export type LoraLaunch = Omit<OpSpec, 'label' | 'shader' | 'entryPoint'>;

// steps 1-2 of every factor (shaders/lora_rite_split.wgsl), one workgroup per side
export function loraRiteSplit(ctx: GpuContext, launch: LoraLaunch): Promise<PreparedOp> {
  return createOp(ctx, { label: 'lora_rite_split', shader: splitShader, ...launch });
}

// steps 3-10 of every side (shaders/lora_rite.wgsl), one workgroup per side
export function loraRiteSide(ctx: GpuContext, launch: LoraLaunch): Promise<PreparedOp> {
  return createOp(ctx, { label: 'lora_rite', shader: sideShader, ...launch });
}
