import { describe, expect, it } from 'vitest';
import { readSafetensors, SafetensorsError, tensorFloats, writeSafetensors } from './safetensors';

/** A file from a raw header string and data bytes (no padding), as another writer might make. */
function file(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function refusal(bytes: Uint8Array): string {
  try {
    readSafetensors(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    expect((e as Error).message).toMatch(/ Nothing was imported\.$/);
    return (e as Error).message;
  }
  throw new Error('the file was accepted');
}

const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);

describe('safetensors', () => {
  it('writes the reference layout: u64 length, space-padded JSON sorted by name, data in that order', () => {
    const bytes = writeSafetensors(
      [
        { name: 'b', shape: [2], data: Float32Array.of(3, 4) },
        { name: 'a', shape: [1, 1], data: Float32Array.of(1.5) },
      ],
      { format: 'pt' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header.trimEnd()).toBe(
      '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}',
    );
    expect(new Float32Array(bytes.slice(8 + n).buffer)).toEqual(Float32Array.of(1.5, 3, 4));
  });

  it('reads what it writes, and files without padding or metadata', () => {
    const t = { name: 'w', shape: [2, 3], data: Float32Array.of(1, -2, 3.25, 4, 5, 6e-30) };
    const back = readSafetensors(writeSafetensors([t], { k: 'v' }));
    expect(back.metadata).toEqual({ k: 'v' });
    const w = back.tensors.get('w')!;
    expect([w.dtype, w.shape]).toEqual(['F32', [2, 3]]);
    expect(tensorFloats('w', w)).toEqual(t.data);
    const odd = readSafetensors(
      file('{"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', f32(7)),
    );
    expect(tensorFloats('x', odd.tensors.get('x')!)).toEqual(Float32Array.of(7));
  });

  it('widens F16 and BF16 to f32 exactly (normal, subnormal, zero, infinity)', () => {
    const half = new Uint8Array(
      new Uint16Array([0x3c00, 0xc000, 0x0001, 0x8000, 0x7c00, 0x3555]).buffer,
    );
    const bf = new Uint8Array(new Uint16Array([0x3f80, 0xc0a0]).buffer);
    const r = readSafetensors(
      file(
        '{"h":{"dtype":"F16","shape":[6],"data_offsets":[0,12]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[12,16]}}',
        Uint8Array.from([...half, ...bf]),
      ),
    );
    expect([...tensorFloats('h', r.tensors.get('h')!)]).toEqual([
      1,
      -2,
      2 ** -24,
      -0,
      Number.POSITIVE_INFINITY,
      0.333251953125,
    ]);
    expect([...tensorFloats('b', r.tensors.get('b')!)]).toEqual([1, -5]);
  });

  it('refuses a header length beyond the file', () => {
    const bytes = file('{}');
    new DataView(bytes.buffer).setBigUint64(0, 1000n, true);
    expect(refusal(bytes)).toMatch(
      /^This safetensors file's header length \(1,000 bytes\) runs beyond the end of the file \(10 bytes\)/,
    );
    expect(refusal(new Uint8Array(5))).toMatch(/too short for a safetensors file/);
  });

  it('refuses overlapping tensors', () => {
    const h =
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
    expect(refusal(file(h, f32(1, 2, 3)))).toMatch(
      /^Tensor "b" \(bytes 4 to 12\) overlaps the tensor before it \(which ends at 8\)/,
    );
  });

  it('refuses offsets beyond the data, a gap, and bytes after the last tensor', () => {
    const one = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(refusal(file(one, f32(1)))).toMatch(
      /^Tensor "a" ends at byte 8 of the data, beyond its 4 bytes/,
    );
    const gap = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expect(refusal(file(gap, f32(1, 2)))).toMatch(
      /^Tensor "a" starts at byte 4, leaving a gap after byte 0/,
    );
    expect(refusal(file(one, f32(1, 2, 3)))).toMatch(/has 4 bytes after its last tensor/);
  });

  it('sizes every safetensors dtype (1, 2, 4 or 8 bytes) and reads F64 rounded to f32', () => {
    const sizes: [string, number][] = [
      ['BOOL', 1],
      ['U8', 1],
      ['I8', 1],
      ['F8_E5M2', 1],
      ['F8_E4M3', 1],
      ['I16', 2],
      ['U16', 2],
      ['F16', 2],
      ['BF16', 2],
      ['I32', 4],
      ['U32', 4],
      ['F32', 4],
      ['I64', 8],
      ['U64', 8],
      ['F64', 8],
    ];
    for (const [dtype, size] of sizes) {
      const h = (bytes: number) =>
        `{"t":{"dtype":"${dtype}","shape":[3],"data_offsets":[0,${bytes}]}}`;
      const r = readSafetensors(file(h(3 * size), new Uint8Array(3 * size)));
      expect(r.tensors.get('t')?.bytes.length).toBe(3 * size);
      expect(refusal(file(h(3 * size + 1), new Uint8Array(3 * size + 1)))).toContain(
        `has shape [3] of ${dtype} (${3 * size} bytes), but data_offsets span ${3 * size + 1} bytes`,
      );
    }
    const f64 = new Uint8Array(Float64Array.of(0.1, -3).buffer);
    const r = readSafetensors(file('{"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}', f64));
    expect(tensorFloats('d', r.tensors.get('d')!)).toEqual(Float32Array.of(0.1, -3));
  });

  it('refuses the values of a non-float tensor as weights, naming it', () => {
    const r = readSafetensors(
      file('{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', new Uint8Array(8)),
    );
    expect(() => tensorFloats('ids', r.tensors.get('ids')!)).toThrow(
      'Tensor "ids" has dtype I64, which the studio cannot use as weights (it reads F32, F16, BF16, F64). Nothing was imported.',
    );
  });

  it('refuses an unknown dtype, naming it, also "toString" and "constructor" (own properties only)', () => {
    for (const dtype of ['F4', 'toString', 'constructor', '__proto__']) {
      const h = `{"w":{"dtype":"${dtype}","shape":[1],"data_offsets":[0,4]}}`;
      expect(refusal(file(h, f32(1)))).toMatch(
        new RegExp(
          `^Tensor "w" has dtype "${dtype}", which is not a safetensors dtype the studio knows \\(BOOL, U8,`,
        ),
      );
    }
  });

  it('refuses a shape that does not match the byte length', () => {
    const h = '{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}';
    expect(refusal(file(h, f32(1, 2, 3)))).toMatch(
      /^Tensor "w" has shape \[2, 2\] of F32 \(16 bytes\), but data_offsets span 12 bytes\./,
    );
  });

  it('refuses a header that is not UTF-8, not JSON, or not an object', () => {
    expect(refusal(file(Uint8Array.of(0x7b, 0xc3, 0x28, 0x7d)))).toMatch(
      /header is not UTF-8 text/,
    );
    expect(refusal(file('{"a": '))).toMatch(/header is not valid JSON/);
    expect(refusal(file('[1, 2]'))).toMatch(/header does not start with "\{"/);
    expect(refusal(file('{"__metadata__":{"n":1}}'))).toMatch(/__metadata__ "n" is not a string/);
    expect(refusal(file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}'))).toMatch(
      /data_offsets that are not \[begin, end\]/,
    );
  });
});
