import { submitOps } from '../gpu/ops';
import * as ref from '../reference/embedding';
import { compare, F32_EPS } from '../selftest/compare';
import type { KernelCheck } from '../selftest/types';
import { Rng } from '../util/rng';
import { embeddingBackward, embeddingForward } from './embedding';
import { groupTokens, TokenGroupBuffers } from './tokenGroups';

const FORWARD_TOLERANCE = '|err| <= 2^-24 |out| (one correctly rounded f32 add)';
// A row sums its `count` terms in order into a register, then adds that to the old gradient:
// count roundings, each at most 2^-24 of the running sum's absolute bound.
const BACKWARD_TOLERANCE =
  '|err| <= count 2^-24 (|dw0| + sum |dout|) per element, count = occurrences of the token ' +
  '(dwte) or B (dwpe); rows nothing touches exactly unchanged';

interface Case {
  B: number;
  T: number;
  C: number;
  V: number;
  /** Tokens drawn from this many distinct ids (0: from the whole vocabulary). */
  distinct: number;
}
// wpe has maxT = T + 3 rows, so rows past T must stay untouched.
const CASES: Case[] = [
  { B: 1, T: 1, C: 1, V: 1, distinct: 0 },
  { B: 2, T: 7, C: 33, V: 11, distinct: 0 },
  { B: 3, T: 33, C: 7, V: 129, distinct: 0 },
  { B: 4, T: 64, C: 48, V: 50257, distinct: 9 },
];
const extraPositions = 3;

const shapeOf = (c: Case) =>
  `B=${c.B} T=${c.T} C=${c.C} V=${c.V}${c.distinct ? ` (${c.distinct} distinct tokens)` : ''}`;

function tokensFor(c: Case, rng: Rng): Uint32Array {
  // The repeated ids include both ends of the vocabulary.
  const pool = Uint32Array.from({ length: c.distinct }, (_, k) =>
    k === 0 ? 0 : k === 1 ? c.V - 1 : rng.int(c.V),
  );
  return Uint32Array.from({ length: c.B * c.T }, () =>
    c.distinct ? pool[rng.int(c.distinct)] : rng.int(c.V),
  );
}

function forwardCheck(c: Case): KernelCheck {
  return {
    kernel: 'embedding',
    variant: 'forward',
    shape: shapeOf(c),
    tolerance: FORWARD_TOLERANCE,
    async run(ctx, bufs) {
      const { B, T, C, V } = c;
      const rng = new Rng(B * 7919 + T * 131 + C);
      const tokens = tokensFor(c, rng);
      const wte = rng.normalArray(V * C);
      const wpe = rng.normalArray((T + extraPositions) * C);
      const out = bufs.zeros('out', B * T * C);
      submitOps(ctx, [
        await embeddingForward(
          ctx,
          out,
          bufs.upload('tokens', tokens),
          bufs.upload('wte', wte),
          bufs.upload('wpe', wpe),
          B,
          T,
          C,
        ),
      ]);
      const expected = new Float64Array(B * T * C);
      ref.embeddingForward(expected, tokens, wte, wpe, B, T, C);
      return {
        out: compare(
          await bufs.read(out, B * T * C),
          expected,
          (i) => F32_EPS * Math.abs(expected[i]) + 1e-38,
        ),
      };
    },
  };
}

interface BackwardInputs {
  tokens: Uint32Array;
  dout: Float32Array;
  dwte0: Float32Array;
  dwpe0: Float32Array;
}

function backwardInputs(c: Case): BackwardInputs {
  const { B, T, C, V } = c;
  const rng = new Rng(B * 104_729 + T * 31 + C);
  const tokens = tokensFor(c, rng);
  // Magnitudes spread over 2^-8 .. 2^8, so the order of the sums shows in the rounding.
  const dout = rng.normalArray(B * T * C).map((x) => x * 2 ** (16 * rng.uniform() - 8));
  return {
    tokens,
    dout,
    dwte0: rng.normalArray(V * C),
    dwpe0: rng.normalArray((T + extraPositions) * C),
  };
}

/** Runs the kernel on one fresh copy of the gradients; returns (dwte, dwpe) read back. */
async function runBackward(
  ctx: Parameters<KernelCheck['run']>[0],
  bufs: Parameters<KernelCheck['run']>[1],
  c: Case,
  inp: BackwardInputs,
): Promise<[Float32Array, Float32Array]> {
  const { B, T, C } = c;
  const groups = new TokenGroupBuffers(ctx, B * T);
  try {
    groups.write(ctx, groupTokens(inp.tokens));
    const dwte = bufs.upload('dwte', inp.dwte0);
    const dwpe = bufs.upload('dwpe', inp.dwpe0);
    const dout = bufs.upload('dout', inp.dout);
    submitOps(ctx, [await embeddingBackward(ctx, dwte, dwpe, dout, groups, B, T, C)]);
    return [await bufs.read(dwte, inp.dwte0.length), await bufs.read(dwpe, inp.dwpe0.length)];
  } finally {
    groups.destroy();
  }
}

function backwardCheck(c: Case): KernelCheck {
  return {
    kernel: 'embedding',
    variant: 'backward (+= into dwte, dwpe)',
    shape: shapeOf(c),
    tolerance: BACKWARD_TOLERANCE,
    async run(ctx, bufs) {
      const { B, T, C, V } = c;
      const inp = backwardInputs(c);
      const [dwte, dwpe] = await runBackward(ctx, bufs, c, inp);
      const expectedDwte = Float64Array.from(inp.dwte0);
      const expectedDwpe = Float64Array.from(inp.dwpe0);
      ref.embeddingBackward(expectedDwte, expectedDwpe, inp.dout, inp.tokens, B, T, C);
      // The same sums over absolute values bound every rounding along the way.
      const absDwte = Float64Array.from(inp.dwte0, Math.abs);
      const absDwpe = Float64Array.from(inp.dwpe0, Math.abs);
      ref.embeddingBackward(absDwte, absDwpe, inp.dout.map(Math.abs), inp.tokens, B, T, C);
      const occurrences = new Float64Array(V);
      for (const u of inp.tokens) occurrences[u]++;
      return {
        dwte: compare(
          dwte,
          expectedDwte,
          (i) => occurrences[Math.floor(i / C)] * F32_EPS * absDwte[i] + 1e-38,
        ),
        dwpe: compare(dwpe, expectedDwpe, (i) =>
          i < T * C ? B * F32_EPS * absDwpe[i] + 1e-38 : 1e-38,
        ),
      };
    },
  };
}

// Bit patterns compared as integers: any difference is at least 1, over the bound of 0.5.
const sameBits = (a: Float32Array, b: Float32Array) =>
  compare(new Uint32Array(a.buffer), new Uint32Array(b.buffer), () => 0.5);

function determinismCheck(c: Case): KernelCheck {
  return {
    kernel: 'embedding',
    variant: 'backward twice: bit-identical',
    shape: shapeOf(c),
    tolerance: 'bitwise equal (each row summed by one workgroup in a fixed order, no atomics)',
    async run(ctx, bufs) {
      const inp = backwardInputs(c);
      const [dwte1, dwpe1] = await runBackward(ctx, bufs, c, inp);
      const [dwte2, dwpe2] = await runBackward(ctx, bufs, c, inp);
      return { dwte: sameBits(dwte1, dwte2), dwpe: sameBits(dwpe1, dwpe2) };
    },
  };
}

export const embeddingChecks: KernelCheck[] = [
  ...CASES.map(forwardCheck),
  ...CASES.map(backwardCheck),
  determinismCheck({ B: 4, T: 64, C: 48, V: 1000, distinct: 3 }),
];
