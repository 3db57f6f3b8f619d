import { describe, expect, it } from 'vitest';
import { GpuLimitError, noWebGpuMessage, ShaderCompileError } from './errors';

describe('noWebGpuMessage', () => {
  it('names the Linux Chrome flag for Chromium on Linux', () => {
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36';
    expect(noWebGpuMessage(ua)).toContain('enable-unsafe-webgpu');
  });
  it('names the about:config switch for Firefox', () => {
    expect(noWebGpuMessage('Mozilla/5.0 (X11; Linux) Gecko/20100101 Firefox/130.0')).toContain(
      'dom.webgpu.enabled',
    );
  });
  it('names the feature flag for Safari', () => {
    const ua = 'Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15';
    expect(noWebGpuMessage(ua)).toContain('Feature Flags');
  });
});

describe('GPU errors', () => {
  it('a limit error names the limit, the need and the offer', () => {
    const e = new GpuLimitError('maxStorageBuffersPerShaderStage', 8, 4);
    expect(e.message).toMatch(/maxStorageBuffersPerShaderStage = 4.*at least 8/);
  });
  it('a compile error names the kernel and carries the compiler message', () => {
    const e = new ShaderCompileError('matmul', '3:5 error: unresolved identifier');
    expect(e.message).toContain('"matmul"');
    expect(e.message).toContain('unresolved identifier');
  });
});
