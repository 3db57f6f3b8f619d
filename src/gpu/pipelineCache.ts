import { ShaderCompileError } from './errors';

/** A WGSL source with the name used in labels and error messages. */
export interface ShaderSource {
  readonly name: string;
  readonly code: string;
}

export type PipelineConstants = Record<string, number>;

/**
 * Compiles each (shader, entry point, override constants) once. Pipelines are built
 * asynchronously so a compile error arrives as a ShaderCompileError with the kernel's name
 * and the compiler's messages instead of a silent invalid pipeline.
 */
export class PipelineCache {
  // getCompilationInfo is asked once per module: in Chromium 156 a second call never resolves.
  private readonly modules = new Map<string, Promise<GPUShaderModule>>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(private readonly device: GPUDevice) {}

  get(
    shader: ShaderSource,
    entryPoint = 'main',
    constants: PipelineConstants = {},
  ): Promise<GPUComputePipeline> {
    const constantKey = Object.keys(constants)
      .sort()
      .map((k) => `${k}=${constants[k]}`)
      .join(',');
    const key = `${shader.name}:${entryPoint}:${constantKey}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.build(shader, entryPoint, constants, key);
      this.pipelines.set(key, pipeline);
      // A failed build is not cached, so a fixed shader can be retried.
      pipeline.catch(() => this.pipelines.delete(key));
    }
    return pipeline;
  }

  get size(): number {
    return this.pipelines.size;
  }

  private module(shader: ShaderSource): Promise<GPUShaderModule> {
    let module = this.modules.get(shader.name);
    if (!module) {
      module = this.compile(shader);
      this.modules.set(shader.name, module);
      module.catch(() => this.modules.delete(shader.name));
    }
    return module;
  }

  private async compile(shader: ShaderSource): Promise<GPUShaderModule> {
    const module = this.device.createShaderModule({ label: shader.name, code: shader.code });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      throw new ShaderCompileError(
        shader.name,
        errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('\n'),
      );
    }
    return module;
  }

  private async build(
    shader: ShaderSource,
    entryPoint: string,
    constants: PipelineConstants,
    label: string,
  ): Promise<GPUComputePipeline> {
    const module = await this.module(shader);
    try {
      return await this.device.createComputePipelineAsync({
        label,
        layout: 'auto',
        compute: { module, entryPoint, constants },
      });
    } catch (e) {
      throw new ShaderCompileError(shader.name, e instanceof Error ? e.message : String(e));
    }
  }
}
