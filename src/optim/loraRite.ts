// LoRA-RITE on the GPU for one LoRA pair: the launcher of shaders/lora_rite_split.wgsl (step 1)
// and shaders/lora_rite.wgsl (steps 2, 4-10), checked against reference/loraRite.ts. Step 3 (update
// skipping and the global clip across pairs) is not done here: the caller passes gradients that
// need no skipping, and the reference is run with clip off to match.

import code from '../../shaders/lora_rite.wgsl?raw';
import splitCode from '../../shaders/lora_rite_split.wgsl?raw';
import { type Buf, createStorage } from '../gpu/buffers';
import { createOp } from '../gpu/createOp';
import type { GpuContext } from '../gpu/device';
import type { KernelOp } from '../gpu/ops';
import type { ShaderSource } from '../gpu/pipelineCache';
import { writeUniform } from '../gpu/uniforms';
import { biasCorrectedDecay } from './reference/loraRite';

const sideShader: ShaderSource = { name: 'lora_rite', code };
const splitShader: ShaderSource = { name: 'lora_rite_split', code: splitCode };
const WG = 64;
// Cyclic Jacobi converges quadratically once the off-diagonal is small; 12 sweeps is well past
// f32 convergence for r <= 32 (the reference needs 5-8 in float64 at r = 4-8).
const SWEEPS = 12;
export const MAX_RANK = 32;

export interface LoraRiteGpuHp {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  escapedMass: boolean;
}

/** One side's optimizer state; the A side of an (m, n, r) pair (B side: swap m and n). */
export interface LoraRiteGpuSide {
  m: GPUBuffer; // (m, r) first moment, in the partner's basis
  v: GPUBuffer; // (r * r + 1) second moment (r, r), then the escaped mass rho
  basis: GPUBuffer; // (n, r) the partner's basis U_B of the previous step; zero before the first
}

export interface LoraRiteGpuState {
  a: LoraRiteGpuSide;
  b: LoraRiteGpuSide;
}

// Zero state: M = 0, V = 0, rho = 0, stored bases 0, as the reference's createLoraRiteState.
export function createLoraRiteGpuState(
  ctx: GpuContext,
  m: number,
  n: number,
  r: number,
): LoraRiteGpuState {
  const side = (label: string, rows: number, partnerRows: number): LoraRiteGpuSide => ({
    m: createStorage(ctx, `${label}.m`, rows * r),
    v: createStorage(ctx, `${label}.v`, r * r + 1),
    basis: createStorage(ctx, `${label}.basis`, partnerRows * r),
  });
  return { a: side('rite.a', m, n), b: side('rite.b', n, m) };
}

export interface LoraRiteOp extends KernelOp {
  /** Rewrites the uniforms for step t (0-based: b(t) as in the reference) and the lr schedule. */
  setStep(t: number, lr?: number): void;
  /** The scratch buffers the op made (bases, R^+, unmagnified gradients). */
  destroy(): void;
}

// The f32 fields of the side kernel's uniform, computed in float64 and rounded once.
function sideF32(hp: LoraRiteGpuHp, t: number, rows: number): number[] {
  const b1 = biasCorrectedDecay(hp.beta1, t);
  const b2 = biasCorrectedDecay(hp.beta2, t);
  return [hp.lr, b1, 1 - b1, b2, (1 - b2) / rows, hp.eps, hp.weightDecay];
}

// a (m, r), b (n, r), state updated in place from da (m, r), db (n, r): one RITE step, t from
// setStep (0 at creation)
export async function loraRite(
  ctx: GpuContext,
  a: Buf,
  b: Buf,
  state: LoraRiteGpuState,
  da: Buf,
  db: Buf,
  m: number,
  n: number,
  r: number,
  hp: LoraRiteGpuHp,
): Promise<LoraRiteOp> {
  if (r < 1 || r > MAX_RANK || m < r || n < r) {
    throw new Error(`loraRite: needs 1 <= r <= ${MAX_RANK}, m, n >= r; got m=${m} n=${n} r=${r}`);
  }
  const scratch = {
    uA: createStorage(ctx, 'rite.uA', m * r),
    uB: createStorage(ctx, 'rite.uB', n * r),
    rPinvA: createStorage(ctx, 'rite.rPinvA', r * r),
    rPinvB: createStorage(ctx, 'rite.rPinvB', r * r),
    gA: createStorage(ctx, 'rite.gA', m * r),
    gB: createStorage(ctx, 'rite.gB', n * r),
  };
  // x (rows, r) = u (rows, r) R, r_pinv (r, r) = R^+
  const split = (label: string, x: Buf, u: GPUBuffer, rPinv: GPUBuffer, rows: number) =>
    createOp(ctx, {
      label,
      shader: splitShader,
      constants: { WG, SWEEPS },
      params: { u32: [rows, r], f32: [rows * 2 ** -23] },
      buffers: [x, u, rPinv],
      workgroups: [1],
    });
  const escaped = hp.escapedMass ? 1 : 0;
  // x (rows, r) stepped with its side's state from dx (rows, r) and the partner's split
  const side = (
    label: string,
    x: Buf,
    s: LoraRiteGpuSide,
    g: GPUBuffer,
    dx: Buf,
    u: GPUBuffer,
    rPinv: GPUBuffer,
    rows: number,
    prows: number,
  ) =>
    createOp(ctx, {
      label,
      shader: sideShader,
      constants: { WG, SWEEPS },
      params: { u32: [rows, prows, r, escaped], f32: sideF32(hp, 0, rows) },
      buffers: [x, s.m, s.v, s.basis, g, dx, u, rPinv],
      workgroups: [1],
    });
  // both factors are split before either is stepped
  const ops = [
    await split('lora_rite_split_a', a, scratch.uA, scratch.rPinvA, m),
    await split('lora_rite_split_b', b, scratch.uB, scratch.rPinvB, n),
  ];
  const sideA = await side(
    'lora_rite_a',
    a,
    state.a,
    scratch.gA,
    da,
    scratch.uB,
    scratch.rPinvB,
    m,
    n,
  );
  const sideB = await side(
    'lora_rite_b',
    b,
    state.b,
    scratch.gB,
    db,
    scratch.uA,
    scratch.rPinvA,
    n,
    m,
  );
  return {
    label: 'lora_rite',
    encode(pass) {
      for (const op of [...ops, sideA, sideB]) op.encode(pass);
    },
    setStep(t, lr = hp.lr) {
      const next = { ...hp, lr };
      writeUniform(ctx, sideA.params, [m, n, r, escaped], sideF32(next, t, m));
      writeUniform(ctx, sideB.params, [n, m, r, escaped], sideF32(next, t, n));
    },
    destroy() {
      for (const buffer of Object.values(scratch)) buffer.destroy();
    },
  };
}
