// The kernel benchmark (npm run bench:kernels): our matmul against TensorFlow.js's WebGPU backend
// on the same adapter, then each training kernel at the small model's shapes.
import '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { createStorage } from '../gpu/buffers';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { Rng } from '../util/rng';
import { kernelTimings } from './kernelTimings';
import { measureMatmul } from './measureMatmul';
import { emit, runBench } from './report';
import { gflops, median, productsPerRepeat, timeOp } from './timing';

const REPEATS = 5;

// The same protocol as timeOp: warm-up, then the median of repeats of R products, each repeat
// ended by waiting for the device queue to drain (no readback, inputs uploaded beforehand).
async function measureTfjs(n: number): Promise<{ ms: number; gflops: number }> {
  const backend = tf.backend() as WebGPUBackend;
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const run = async (count: number) => {
    const outs = Array.from({ length: count }, () => tf.matMul(a, b));
    // tfjs keeps its pass and encoder open between ops (and flushes every 15): close and submit.
    backend.endComputePassEncoder();
    backend.ensureCommandEncoderReady();
    backend.submitQueue();
    await backend.device.queue.onSubmittedWorkDone();
    for (const t of outs) t.dispose();
  };
  await run(1);
  const perRepeat = productsPerRepeat(n);
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    await run(perRepeat);
    times.push((performance.now() - t0) / perRepeat);
  }
  a.dispose();
  b.dispose();
  const ms = median(times);
  return { ms, gflops: gflops(n, ms) };
}

async function timeKernels(ctx: GpuContext): Promise<Map<string, number>> {
  const rng = new Rng(1);
  const times = new Map<string, number>();
  for (const k of kernelTimings) {
    const made: GPUBuffer[] = [];
    const alloc = (label: string, length: number, below?: number) => {
      const data =
        below === undefined
          ? rng.uniformArray(length)
          : Uint32Array.from({ length }, () => rng.int(below));
      const buffer = createStorage(ctx, `${k.name}:${label}`, data);
      made.push(buffer);
      return buffer;
    };
    const op = await k.make(ctx, alloc);
    const ms = await timeOp(ctx, op, 4, REPEATS);
    emit({ bench: 'kernel', name: k.name, shape: k.shape, ms });
    times.set(k.name, ms);
    for (const buffer of made) buffer.destroy();
  }
  return times;
}

// Attention forward + backward over the same block's qkv matmul forward + backward (dinp and
// dweight), per preset shape: the goal is at most 2.
function emitAttentionRatios(times: Map<string, number>): void {
  for (const [preset, suffix] of [
    ['tiny', ''],
    ['small', '_small'],
  ]) {
    const ms = (name: string) => times.get(name) ?? Number.NaN;
    const attention = ms(`attention_forward${suffix}`) + ms(`attention_backward${suffix}`);
    const qkv = ['forward', 'backward_dinp', 'backward_dweight']
      .map((op) => ms(`matmul_${op}_qkv${suffix}`))
      .reduce((a, b) => a + b);
    emit({
      bench: 'attention-vs-qkv',
      preset,
      attentionMs: attention,
      qkvMs: qkv,
      ratio: attention / qkv,
    });
  }
}

async function main(): Promise<void> {
  const ctx = await acquireGpu();
  await tf.setBackend('webgpu');
  await tf.ready();
  const sizes = [128, 256, 512];
  if (ctx.adapter.architecture !== 'swiftshader') sizes.push(1024);
  emit({ bench: 'adapter', vendor: ctx.adapter.vendor, architecture: ctx.adapter.architecture });
  // Ours and tfjs alternate per size so a load change on this shared machine hits both alike.
  for (const n of sizes) {
    const ours = await measureMatmul(ctx, n, REPEATS);
    emit({ bench: 'matmul', impl: 'ours', n, ms: ours.ms, gflops: ours.gflops });
    const theirs = await measureTfjs(n);
    emit({ bench: 'matmul', impl: 'tfjs', n, ms: theirs.ms, gflops: theirs.gflops });
    // Speed-up: above 1 means ours is faster.
    emit({ bench: 'matmul', impl: 'ratio', n, ratio: ours.gflops / theirs.gflops });
  }
  emitAttentionRatios(await timeKernels(ctx));
}

runBench(main);
