// The in-flight steps of a trainer (pretraining and fine-tuning share it): each step is one
// submission of commands prepared once, its results copied into a ring of staging buffers and
// read back a few steps later, so the CPU never waits inside a step.
import type { GpuContext } from '../gpu/device';
import { type Command, encodeCommands } from '../gpu/ops';
import { ReadbackRing } from '../gpu/readback';

/** In-flight steps before the CPU waits for the oldest result: enough to keep the GPU busy. */
export const READBACK_DEPTH = 3;

export class StepPipeline<R> {
  private readonly ring: ReadbackRing;
  private pending: Promise<R>[] = [];

  /** Each step's results are the `byteLength` first bytes of `out`. */
  constructor(
    private readonly ctx: GpuContext,
    label: string,
    private readonly out: GPUBuffer,
    byteLength: number,
  ) {
    this.ring = new ReadbackRing(ctx, label, byteLength, READBACK_DEPTH);
  }

  /** Back-pressure: waits for the oldest step when READBACK_DEPTH steps are in flight. */
  async reserve(): Promise<void> {
    if (this.pending.length >= READBACK_DEPTH) await this.pending.shift();
  }

  /**
   * Submits one step (`commands`, then the copy of its results) and returns its result, `read`
   * from the bytes once the GPU is done. Call reserve() first.
   */
  submit(
    label: string,
    scope: string,
    commands: readonly Command[],
    read: (bytes: ArrayBuffer) => R,
  ): Promise<R> {
    const encoder = this.ctx.device.createCommandEncoder({ label });
    encodeCommands(encoder, commands, scope);
    const slot = this.ring.encodeCopy(encoder, this.out);
    this.ctx.device.queue.submit([encoder.finish()]);
    const result = this.ring.read(slot).then(read);
    // Marked handled: destroy() abandons the steps in flight, whose reads then reject. Whoever
    // awaits a step's result still sees that rejection; nobody else is told of it.
    result.catch(() => undefined);
    this.pending.push(result);
    return result;
  }

  /** Waits for every step in flight. */
  async drain(): Promise<void> {
    await Promise.all(this.pending.splice(0));
  }

  /** Abandons the steps in flight (their results reject) and frees the staging buffers. */
  destroy(): void {
    this.ring.destroy();
  }
}
