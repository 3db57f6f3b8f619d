import { GpuLimitError, GpuUnavailableError, noWebGpuMessage } from './errors';
import { PipelineCache } from './pipelineCache';

/** Limits every kernel relies on; the WebGPU defaults, stated so a weaker adapter is refused early. */
export const REQUIRED_LIMITS = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupStorageSize: 16384,
  maxStorageBuffersPerShaderStage: 8,
} as const;

/** Limits we raise to whatever the adapter offers, since model size is bounded by them. */
const RAISED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
] as const;

const OPTIONAL_FEATURES: GPUFeatureName[] = ['timestamp-query'];

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  limits: Record<string, number>;
  features: string[];
}

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapter: AdapterReport;
  readonly pipelines: PipelineCache;
  /** Validation and out-of-memory errors no error scope caught, oldest first. */
  takeUncapturedErrors(): GPUError[];
}

export interface AcquireOptions {
  /** Called once if the device is lost (driver reset, device.destroy(), tab in background). */
  onDeviceLost?: (info: GPUDeviceLostInfo) => void;
  powerPreference?: GPUPowerPreference;
}

function reportAdapter(adapter: GPUAdapter, device: GPUDevice): AdapterReport {
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const key in device.limits) {
    const value = device.limits[key as keyof GPUSupportedLimits];
    if (typeof value === 'number') limits[key] = value;
  }
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter:
      (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
    limits,
    features: [...device.features].sort(),
  };
}

/** Checks that the adapter offers what the kernels need; throws a GpuLimitError naming the first gap. */
export function checkAdapterLimits(limits: Record<string, number>): void {
  for (const [name, needed] of Object.entries(REQUIRED_LIMITS)) {
    const offered = limits[name] ?? 0;
    if (offered < needed) throw new GpuLimitError(name, needed, offered);
  }
}

/** Finds an adapter, requests a device with the limits we need, and wires the error hooks. */
export async function acquireGpu(options: AcquireOptions = {}): Promise<GpuContext> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new GpuUnavailableError(noWebGpuMessage(globalThis.navigator?.userAgent ?? ''));
  const adapter = await gpu.requestAdapter({
    powerPreference: options.powerPreference ?? 'high-performance',
  });
  if (!adapter) {
    throw new GpuUnavailableError(
      'The browser supports WebGPU but found no usable GPU adapter. Update the GPU driver, check chrome://gpu, or try another browser.',
    );
  }
  const adapterLimits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const value = adapter.limits[key as keyof GPUSupportedLimits];
    if (typeof value === 'number') adapterLimits[key] = value;
  }
  checkAdapterLimits(adapterLimits);
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapterLimits[name];
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ label: 'studio', requiredLimits, requiredFeatures });

  const uncaptured: GPUError[] = [];
  device.addEventListener('uncapturederror', (event) => {
    uncaptured.push((event as GPUUncapturedErrorEvent).error);
  });
  device.lost.then((info) => options.onDeviceLost?.(info));

  return {
    device,
    adapter: reportAdapter(adapter, device),
    pipelines: new PipelineCache(device),
    takeUncapturedErrors: () => uncaptured.splice(0),
  };
}
