import type { GpuContext } from '../gpu/device';
import { submitOps } from '../gpu/ops';
import * as ref from '../reference/attention';
import type { CheckBuffers } from '../selftest/checkBuffers';
import { compare, F32_EPS } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { Rng } from '../util/rng';
import {
  type AttentionTiles,
  attentionBackward,
  attentionForward,
  attentionSavedLength,
  attentionTiles,
} from './attention';

type Shape = readonly [B: number, T: number, C: number, NH: number];

const ULP = 2 * F32_EPS;
// First-order bounds below, doubled to cover the second-order terms they drop.
const SAFETY = 2;
// WGSL's accuracy: exp within 3 + 2|x| ULP; log within 3 ULP, or 2^-21 absolute on [0.5, 2];
// division within 2.5 ULP.
const expUlps = (x: number) => 3 + 2 * Math.abs(x);
const DIV_ULPS = 2.5;
const LOG_ABS = 2 ** -21;

const FORWARD_TOLERANCE =
  '2 x first order: logit s_ij carries e_ij = hs 2^-24 scale sum_d|q k| + 2^-24 (2|s| + |s - m|) ' +
  'plus the exp error (3 + 2|s - m|) ULP, plus the online-softmax rescales (per stage of keys: ' +
  'exp (3 ULP) and two products, and 2 ULP per unit the running max moves, at most max_j(m - s_j)); ' +
  'out_id <= sum_j p_ij |v_jd| e_ij + |out_id| sum_j p_ij e_ij + (t + 6 + stages) 2^-24 ' +
  '(sum_j p_ij |v_jd| + |out_id|) (weighted sum, rescales, normaliser, division); ' +
  'lse <= sum_j p_ij e_ij + (t + 1) 2^-24 + log error (2^-21 + 3 ULP) + 2^-24 |lse|';
const BACKWARD_TOLERANCE =
  '2 x first order: P_ij = exp(s_ij - lse_i) carries relative r_ij = logit error + lse bound + ' +
  'exp error; dP_ij = dout_i . v_j carries hs 2^-24 sum|dout v|; D_i = dout_i . out_i carries ' +
  'sum_d |dout_id| (bound of out_id) + hs 2^-24 sum|dout out|; dS_ij = P (dP - D) ' +
  'propagate both; dq, dk, dv sum |error of each term| + (n + 2) 2^-24 sum|term| over their n ' +
  'terms; plus 2^-24 |dqkv| for the accumulation';

interface Bounds {
  out: Float64Array;
  lse: Float64Array;
  dqkv: Float64Array;
}

// Per-element error bounds of the f32 kernels, propagated in float64 from the exact values;
// `stage` is the number of keys forward sums between two rescales of its running sums.
function attentionBounds(
  qkv: Float32Array,
  dout: Float32Array,
  B: number,
  T: number,
  C: number,
  NH: number,
  stage: number,
): Bounds {
  const hs = C / NH;
  const scale = 1 / Math.sqrt(hs);
  const C3 = 3 * C;
  const eps = F32_EPS;
  const out = new Float64Array(B * T * C);
  const lse = new Float64Array(B * NH * T);
  const dqkv = new Float64Array(B * T * C3);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      const q0 = b * T * C3 + h * hs;
      const k0 = q0 + C;
      const v0 = q0 + 2 * C;
      const o0 = b * T * C + h * hs;
      for (let i = 0; i < T; i++) {
        const n = i + 1;
        const s = new Float64Array(n);
        const ds = new Float64Array(n);
        const dP = new Float64Array(n);
        const ddP = new Float64Array(n);
        for (let j = 0; j < n; j++) {
          let x = 0;
          let ax = 0;
          let g = 0;
          let ag = 0;
          for (let d = 0; d < hs; d++) {
            const qk = qkv[q0 + i * C3 + d] * qkv[k0 + j * C3 + d];
            x += qk;
            ax += Math.abs(qk);
            const gv = dout[o0 + i * C + d] * qkv[v0 + j * C3 + d];
            g += gv;
            ag += Math.abs(gv);
          }
          s[j] = x * scale;
          ds[j] = hs * eps * ax * scale + 2 * eps * Math.abs(s[j]);
          dP[j] = g;
          ddP[j] = hs * eps * ag;
        }
        const m = Math.max(...s);
        let l = 0;
        for (let j = 0; j < n; j++) l += Math.exp(s[j] - m);
        const p = s.map((x) => Math.exp(x - m) / l);
        const stages = Math.ceil(n / stage);
        const rescale = stages * (3 * ULP + 2 * eps) + 2 * ULP * (m - Math.min(...s));
        // relative error of each unnormalised weight exp(s - m)
        const r = s.map((x, j) => ds[j] + eps * Math.abs(x - m) + expUlps(x - m) * ULP + rescale);
        let rbar = 0;
        for (let j = 0; j < n; j++) rbar += p[j] * r[j];
        const lseI = m + Math.log(l);
        const L =
          SAFETY *
          (rbar + n * eps + LOG_ABS + 3 * ULP * Math.abs(Math.log(l)) + eps * Math.abs(lseI));
        lse[b * NH * T + h * T + i] = L;
        // D_i = dout_i . out_i over the f32 out, whose bound is out_id's.
        let dD = 0;
        for (let d = 0; d < hs; d++) {
          let o = 0;
          let S = 0;
          let err = 0;
          for (let j = 0; j < n; j++) {
            const v = qkv[v0 + j * C3 + d];
            o += p[j] * v;
            S += p[j] * Math.abs(v);
            err += p[j] * Math.abs(v) * r[j];
          }
          const acc = (n + 1 + stages + DIV_ULPS * 2) * eps * (S + Math.abs(o));
          out[o0 + i * C + d] = SAFETY * (err + Math.abs(o) * rbar + acc);
          const g = Math.abs(dout[o0 + i * C + d]);
          dD += g * (out[o0 + i * C + d] + (hs + 1) * eps * Math.abs(o));
        }

        // Backward: P rebuilt from the f32 lse, whose error L shifts every exponent.
        const xb = s.map((x) => x - lseI);
        const P = xb.map(Math.exp);
        const rho = xb.map((x, j) => ds[j] + L + eps * Math.abs(x) + expUlps(x) * ULP);
        let D = 0;
        for (let j = 0; j < n; j++) D += P[j] * dP[j];
        for (let j = 0; j < n; j++) {
          const dS = P[j] * (dP[j] - D);
          const ddS =
            rho[j] * Math.abs(dS) +
            P[j] * (ddP[j] + dD + eps * Math.abs(dP[j] - D)) +
            eps * Math.abs(dS);
          // Row sums (dq) have n terms; column sums (dk, dv) have T - j.
          const rowTerm = scale * (ddS + (n + 2) * eps * Math.abs(dS));
          const colTerm = scale * (ddS + (T - j + 2) * eps * Math.abs(dS));
          const vTerm = (rho[j] + (T - j + 2) * eps) * P[j];
          for (let d = 0; d < hs; d++) {
            dqkv[q0 + i * C3 + d] += SAFETY * rowTerm * Math.abs(qkv[k0 + j * C3 + d]);
            dqkv[k0 + j * C3 + d] += SAFETY * colTerm * Math.abs(qkv[q0 + i * C3 + d]);
            dqkv[v0 + j * C3 + d] += SAFETY * vTerm * Math.abs(dout[o0 + i * C + d]);
          }
        }
      }
    }
  }
  return { out, lse, dqkv };
}

const shapeName = ([B, T, C, NH]: Shape) => `B=${B} T=${T} C=${C} NH=${NH}`;

// The tiling a check runs: this adapter's pick, or the one a GPU would get (so both are checked
// on whichever adapter runs the checks).
type Tiling = 'adapter' | 'gpu';

function tilesFor(ctx: GpuContext, tiling: Tiling, [, T, C, NH]: Shape): AttentionTiles {
  return attentionTiles(tiling === 'gpu' ? 'gpu' : ctx.adapter.architecture, T, C / NH);
}

const tiledName = (shape: Shape, tiling: Tiling) =>
  tiling === 'gpu' ? `${shapeName(shape)}, GPU tiles` : shapeName(shape);

// A bound that is zero (an exact output) still admits nothing but an exact match.
const within = (bound: Float64Array, expected?: Float64Array) => (i: number) =>
  bound[i] + (expected ? F32_EPS * Math.abs(expected[i]) : 0) + 1e-38;

interface Inputs {
  qkv: Float32Array;
  dout: Float32Array;
  dqkv0: Float32Array;
}

function inputs([B, T, C]: Shape): Inputs {
  const rng = new Rng(B * 1_000_003 + T * 1009 + C);
  return {
    qkv: rng.normalArray(B * T * 3 * C),
    dout: rng.normalArray(B * T * C),
    dqkv0: rng.normalArray(B * T * 3 * C),
  };
}

// Runs the GPU forward then backward (dqkv starting from dqkv0) and reads every result.
async function runGpu(
  ctx: GpuContext,
  bufs: CheckBuffers,
  shape: Shape,
  x: Inputs,
  tiles: AttentionTiles,
) {
  const [B, T, C, NH] = shape;
  const nSaved = attentionSavedLength(B, T, NH);
  const qkv = bufs.upload('qkv', x.qkv);
  const out = bufs.zeros('out', B * T * C);
  const saved = bufs.zeros('saved', nSaved);
  const dqkv = bufs.upload('dqkv', x.dqkv0);
  const dout = bufs.upload('dout', x.dout);
  submitOps(ctx, [
    await attentionForward(ctx, out, saved, qkv, B, T, C, NH, tiles),
    await attentionBackward(
      ctx,
      dqkv,
      dout,
      qkv,
      out,
      saved,
      bufs.zeros('delta', nSaved),
      B,
      T,
      C,
      NH,
      tiles,
    ),
  ]);
  return {
    out: await bufs.read(out, B * T * C),
    lse: await bufs.read(saved, nSaved),
    dqkv: await bufs.read(dqkv, x.dqkv0.length),
  };
}

function forwardCheck(shape: Shape, tiling: Tiling = 'adapter'): KernelCheck {
  const [B, T, C, NH] = shape;
  return {
    kernel: 'attention',
    variant: 'forward',
    shape: tiledName(shape, tiling),
    tolerance: FORWARD_TOLERANCE,
    async run(ctx, bufs) {
      const x = inputs(shape);
      const qkv = bufs.upload('qkv', x.qkv);
      const out = bufs.zeros('out', B * T * C);
      const saved = bufs.zeros('saved', attentionSavedLength(B, T, NH));
      const tiles = tilesFor(ctx, tiling, shape);
      submitOps(ctx, [await attentionForward(ctx, out, saved, qkv, B, T, C, NH, tiles)]);
      const expectedOut = new Float64Array(B * T * C);
      const expectedLse = new Float64Array(B * NH * T);
      ref.attentionForward(expectedOut, expectedLse, x.qkv, B, T, C, NH);
      const bounds = attentionBounds(x.qkv, x.dout, B, T, C, NH, tiles.stage);
      return {
        out: compare(await bufs.read(out, B * T * C), expectedOut, within(bounds.out)),
        lse: compare(await bufs.read(saved, B * NH * T), expectedLse, within(bounds.lse)),
      };
    },
  };
}

function backwardCheck(shape: Shape, tiling: Tiling = 'adapter'): KernelCheck {
  const [B, T, C, NH] = shape;
  return {
    kernel: 'attention',
    variant: 'backward (dqkv +=)',
    shape: tiledName(shape, tiling),
    tolerance: BACKWARD_TOLERANCE,
    async run(ctx, bufs) {
      const x = inputs(shape);
      const tiles = tilesFor(ctx, tiling, shape);
      const gpu = await runGpu(ctx, bufs, shape, x, tiles);
      const out = new Float64Array(B * T * C);
      const lse = new Float64Array(B * NH * T);
      ref.attentionForward(out, lse, x.qkv, B, T, C, NH);
      const expected = Float64Array.from(x.dqkv0);
      ref.attentionBackward(expected, x.dout, x.qkv, lse, B, T, C, NH);
      const bounds = attentionBounds(x.qkv, x.dout, B, T, C, NH, tiles.stage);
      return { dqkv: compare(gpu.dqkv, expected, within(bounds.dqkv, expected)) };
    },
  };
}

// Forward and backward twice on fresh buffers: every output bit-identical (compared as u32).
function determinismCheck(shape: Shape): KernelCheck {
  return {
    kernel: 'attention',
    variant: 'forward + backward run twice, bitwise equal',
    shape: shapeName(shape),
    tolerance: 'bit-identical: fixed loop orders and reduction trees, no atomics',
    async run(ctx, bufs) {
      const x = inputs(shape);
      const tiles = tilesFor(ctx, 'adapter', shape);
      const first = await runGpu(ctx, bufs, shape, x, tiles);
      const second = await runGpu(ctx, bufs, shape, x, tiles);
      const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
      const exact = () => 0.5;
      return {
        out: compare(bits(second.out), bits(first.out), exact),
        lse: compare(bits(second.lse), bits(first.lse), exact),
        dqkv: compare(bits(second.dqkv), bits(first.dqkv), exact),
      };
    },
  };
}

// T = 1, 7, 33, 129 at head sizes 1 to 128 (8, 16, 64 and 128 among them, and odd ones that
// leave a vec4 part-filled); T = 129 and 200 span several workgroups of queries and several
// stages of keys; T = 1024 is the longest context; hs = 36 gives a CPU adapter's workgroup 9
// invocations (one past a SIMD group of 8 or two of 4) and T = 37 a last stage of 5 keys.
const SHAPES: Shape[] = [
  [1, 1, 1, 1],
  [1, 7, 7, 1],
  [2, 7, 32, 2],
  [2, 33, 12, 3],
  [2, 33, 24, 3],
  [1, 129, 33, 3],
  [1, 129, 128, 2],
  [1, 129, 128, 1],
  [2, 64, 64, 4],
  [1, 200, 128, 2],
  [1, 1024, 16, 2],
  [1, 37, 72, 2],
];

// The GPU tiling (64 invocations, tiles of up to 64 rows, long stages) on whichever adapter runs
// the checks: several tiles and stages, a tile cut by T, and the largest head.
const GPU_TILED: Shape[] = [
  [2, 33, 24, 3],
  [1, 129, 128, 2],
  [1, 200, 16, 1],
];

// B*NH*ceil(T/rows) = 70,400 workgroups: more than one grid dimension holds, so the grid is 2-D.
const GRID_2D: Shape = [1100, 1, 64, 64];

export const attentionChecks: KernelCheck[] = [
  ...[...SHAPES, GRID_2D].map((shape) => forwardCheck(shape)),
  ...SHAPES.map((shape) => backwardCheck(shape)),
  ...GPU_TILED.map((shape) => forwardCheck(shape, 'gpu')),
  ...GPU_TILED.map((shape) => backwardCheck(shape, 'gpu')),
  determinismCheck([2, 129, 64, 4]),
];
