import type { AdapterReport, DeviceLoss, GpuStatus } from '../worker/protocol';

export interface GpuSlice {
  /** Undefined while the worker is still acquiring the GPU. */
  gpu: GpuStatus | undefined;
  deviceLost: DeviceLoss | undefined;
}

export const initialGpu: GpuSlice = { gpu: undefined, deviceLost: undefined };

export const selectGpuStatus = (s: GpuSlice) => s.gpu;
export const selectAdapter = (s: GpuSlice): AdapterReport | undefined =>
  s.gpu?.ok ? s.gpu.adapter : undefined;
export const selectDeviceLost = (s: GpuSlice) => s.deviceLost;
/** Kernels can run only on an acquired device that has not been lost since. */
export const selectGpuReady = (s: GpuSlice) => s.gpu?.ok === true && s.deviceLost === undefined;
