import { createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { readFloats } from '../gpu/readback';

/** The GPU buffers of one check, all destroyed when the check ends. */
export class CheckBuffers {
  private readonly made: GPUBuffer[] = [];

  constructor(private readonly ctx: GpuContext) {}

  upload(label: string, data: Float32Array | Uint32Array | Int32Array): GPUBuffer {
    const b = createStorage(this.ctx, label, data);
    this.made.push(b);
    return b;
  }

  zeros(label: string, length: number): GPUBuffer {
    const b = createStorage(this.ctx, label, length);
    this.made.push(b);
    return b;
  }

  read(buffer: GPUBuffer, length: number): Promise<Float32Array> {
    return readFloats(this.ctx, buffer, length);
  }

  destroy(): void {
    for (const b of this.made.splice(0)) b.destroy();
  }
}
