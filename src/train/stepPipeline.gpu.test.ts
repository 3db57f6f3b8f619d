import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage } from '../gpu/buffers';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { READBACK_DEPTH, StepPipeline } from './stepPipeline';

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('StepPipeline', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
  });
  afterAll(() => ctx.device.destroy());

  // Each step's "results" are the step number, written into the out buffer before its submission.
  function submitStep(steps: StepPipeline<number>, out: GPUBuffer, k: number): Promise<number> {
    ctx.device.queue.writeBuffer(out, 0, Float32Array.of(k));
    return steps.submit(`step ${k}`, 'test step', [], (bytes) => new Float32Array(bytes)[0]);
  }

  it('hands every step its own results, and holds at most READBACK_DEPTH steps in flight', async () => {
    const out = createStorage(ctx, 'out', 1);
    const steps = new StepPipeline<number>(ctx, 'out', out, 4);
    const results: Promise<number>[] = [];
    let settled = 0;
    for (let k = 0; k < READBACK_DEPTH + 2; k++) {
      await steps.reserve();
      // Once the ring is full, reserve() returned only after the oldest step came back.
      if (k >= READBACK_DEPTH) expect(settled).toBeGreaterThanOrEqual(k - READBACK_DEPTH + 1);
      const r = submitStep(steps, out, k);
      r.then(() => settled++);
      results.push(r);
    }
    await steps.drain();
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4]);
    steps.destroy();
    out.destroy();
  });

  it('abandons its steps on destroy: their results reject, and none goes unhandled', async () => {
    const unhandled: unknown[] = [];
    const listen = (e: PromiseRejectionEvent) => {
      unhandled.push(e.reason);
      e.preventDefault();
    };
    window.addEventListener('unhandledrejection', listen);
    try {
      const out = createStorage(ctx, 'out', 1);
      const steps = new StepPipeline<number>(ctx, 'out', out, 4);
      const awaited = submitStep(steps, out, 0);
      // Nobody awaits this one, as when a session is destroyed mid-run.
      submitStep(steps, out, 1);
      steps.destroy();
      await expect(awaited).rejects.toThrow();
      await nextTask();
      expect(unhandled).toEqual([]);
      out.destroy();
    } finally {
      window.removeEventListener('unhandledrejection', listen);
    }
  });
});
