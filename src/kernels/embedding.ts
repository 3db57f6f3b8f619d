import code from '../../shaders/embedding.wgsl?raw';
import type { Buf } from '../gpu/buffers';
import { createOp, type PreparedOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import { grid1d } from '../gpu/ops';
import type { ShaderSource } from '../gpu/pipelineCache';
import type { TokenGroupBuffers } from './tokenGroups';

const shader: ShaderSource = { name: 'embedding', code };
const FORWARD_WG = 256;
// Invocations per dwte/dwpe row, striding over the channels.
const BACKWARD_WG = 64;

// out (B,T,C) = wte[tokens (B,T)] (V,C) + wpe[t] (maxT,C)
export function embeddingForward(
  ctx: GpuContext,
  out: Buf,
  tokens: Buf,
  wte: Buf,
  wpe: Buf,
  B: number,
  T: number,
  C: number,
): Promise<PreparedOp> {
  const n = B * T * C;
  return createOp(ctx, {
    label: 'embedding_forward',
    shader,
    entryPoint: 'forward',
    constants: { WG: FORWARD_WG },
    params: { u32: [B * T, T, C, n] },
    buffers: [out, tokens, wte, wpe],
    workgroups: grid1d(Math.ceil(n / FORWARD_WG)),
  });
}

// dwte (V,C) +=, dwpe (maxT,C) += from dout (B,T,C). `groups` holds this step's tokens grouped by
// groupTokens (written before the op runs); the dispatch covers B*T group slots plus T dwpe rows,
// so it is fixed however many distinct tokens a batch has.
export function embeddingBackward(
  ctx: GpuContext,
  dwte: Buf,
  dwpe: Buf,
  dout: Buf,
  groups: TokenGroupBuffers,
  B: number,
  T: number,
  C: number,
): Promise<PreparedOp> {
  if (groups.capacity < B * T) {
    throw new Error(`embeddingBackward: token groups hold ${groups.capacity} < B*T = ${B * T}`);
  }
  return createOp(ctx, {
    label: 'embedding_backward',
    shader,
    entryPoint: 'backward',
    constants: { WG: BACKWARD_WG },
    params: { u32: [B * T, T, C, 0] },
    buffers: [dwte, dwpe, dout, groups.ids, groups.starts, groups.positions, groups.count],
    workgroups: grid1d(B * T + T),
  });
}
