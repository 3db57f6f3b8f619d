// Launcher of LoRA Adam's non-finite report (shaders/lora_adam_status.wgsl): which pair and
// quantity went non-finite; src/optim/loraAdam.ts schedules it after the AdamW step.
import code from '../../shaders/lora_adam_status.wgsl?raw';
import tableCode from '../../shaders/lora_table.wgsl?raw';
import { createOp, type PreparedOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import type { ShaderSource } from '../gpu/pipelineCache';
import type { LoraLaunch } from './loraRite';

const shader: ShaderSource = { name: 'lora_adam_status', code: tableCode + code };

export function loraAdamStatus(ctx: GpuContext, launch: LoraLaunch): Promise<PreparedOp> {
  return createOp(ctx, { label: 'lora_adam_status', shader, ...launch });
}
