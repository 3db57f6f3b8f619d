// Errors a user can meet while the studio sets up WebGPU; each message says what to do next.

export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

export class GpuLimitError extends Error {
  override name = 'GpuLimitError';
  constructor(
    readonly limit: string,
    readonly needed: number,
    readonly offered: number,
  ) {
    super(
      `This GPU adapter offers ${limit} = ${offered}, but the studio needs at least ${needed}. ` +
        'Try another browser or GPU (chrome://gpu lists what yours offers).',
    );
  }
}

export class ShaderCompileError extends Error {
  override name = 'ShaderCompileError';
  constructor(
    readonly kernel: string,
    readonly compilerMessage: string,
  ) {
    super(`WGSL kernel "${kernel}" failed to compile:\n${compilerMessage}`);
  }
}

/** The message shown when navigator.gpu is missing, naming the browser and flag that enable it. */
export function noWebGpuMessage(userAgent: string): string {
  const base = 'WebGPU is not available in this browser, so the studio cannot train here.';
  if (/Firefox\//.test(userAgent)) {
    return `${base} Firefox ships WebGPU from version 141 on Windows; elsewhere set dom.webgpu.enabled to true in about:config, or use Chrome 113+.`;
  }
  if (/Safari\//.test(userAgent) && !/Chrome\//.test(userAgent)) {
    return `${base} Safari enables WebGPU from version 26; on older versions turn on Develop > Feature Flags > WebGPU, or use Chrome 113+.`;
  }
  if (/Chrome\//.test(userAgent) && /Linux/.test(userAgent)) {
    return `${base} On Linux, Chrome needs chrome://flags/#enable-unsafe-webgpu (and --enable-features=Vulkan); headless Chromium needs --enable-unsafe-webgpu.`;
  }
  return `${base} Use Chrome or Edge 113 or newer; if it is already new, check chrome://gpu and enable chrome://flags/#enable-unsafe-webgpu.`;
}
