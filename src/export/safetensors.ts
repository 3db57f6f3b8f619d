// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N
// bytes of UTF-8 JSON { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__":
// { string: string } }, then the tensor bytes, little-endian, row-major. Offsets are relative to
// the end of the header; the tensors must cover the data exactly (no gap, no overlap, nothing
// after), which is what the reference reader checks too.
import { preview, previewList } from '../util/preview';

/** Every dtype of the safetensors format with a whole number of bytes per element. */
const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;
export type SafetensorsDtype = keyof typeof DTYPE_BYTES;
// Own properties only: "toString" or "constructor" must not find the prototype's members.
const isDtype = (d: string): d is SafetensorsDtype => Object.hasOwn(DTYPE_BYTES, d);
/** The dtypes whose values the studio reads as weights (F64 rounds to f32, as torch's .float()). */
const FLOAT_DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16', 'F64'];
const KNOWN_DTYPES = Object.keys(DTYPE_BYTES).join(', ');
/** The reference implementation refuses headers above 100 MB. */
const MAX_HEADER_BYTES = 100_000_000;

export interface NamedTensor {
  name: string;
  shape: readonly number[];
  /** Row-major values, written as F32. */
  data: Float32Array;
}

/** A checked tensor of the file; its values are read only when asked for (tensorFloats). */
export interface ReadTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Its bytes in the file, little-endian. */
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Map<string, ReadTensor>;
  metadata: Record<string, string>;
}

/** A refused safetensors file: the message says what is wrong and that nothing was imported. */
export class SafetensorsError extends Error {
  constructor(problem: string) {
    super(`${problem} Nothing was imported.`);
    this.name = 'SafetensorsError';
  }
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Writes F32 tensors, sorted by name (the order the reference writer uses for one dtype), with
 * the header padded with spaces to a multiple of 8 bytes so the data starts aligned.
 */
export function writeSafetensors(
  tensors: readonly NamedTensor[],
  metadata: Record<string, string> = {},
): Uint8Array {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of sorted) {
    const elements = t.shape.reduce((a, b) => a * b, 1);
    if (elements !== t.data.length) {
      throw new Error(
        `writeSafetensors: ${t.name} has ${t.data.length} values, but its shape [${t.shape.join(', ')}] holds ${elements}.`,
      );
    }
    if (t.name in header) throw new Error(`writeSafetensors: ${t.name} is given twice.`);
    header[t.name] = {
      dtype: 'F32',
      shape: t.shape,
      data_offsets: [offset, offset + elements * 4],
    };
    offset += elements * 4;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const N = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + N + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(N), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + N);
  let at = 8 + N;
  for (const t of sorted) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Reads and checks a safetensors file; throws a SafetensorsError naming the first problem. */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) {
    throw new SafetensorsError(
      `This file is ${bytes.length} bytes, too short for a safetensors file (it starts with an 8-byte header length).`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const N = view.getBigUint64(0, true);
  if (N > BigInt(bytes.length - 8)) {
    throw new SafetensorsError(
      `This safetensors file's header length (${count(Number(N))} bytes) runs beyond the end of the file (${count(bytes.length)} bytes): it is truncated or not a safetensors file.`,
    );
  }
  const n = Number(N);
  if (n > MAX_HEADER_BYTES) {
    throw new SafetensorsError(
      `This safetensors file's header is ${count(n)} bytes, over the ${count(MAX_HEADER_BYTES)} any reader accepts: the file is damaged.`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new SafetensorsError(
      "This safetensors file's header is not UTF-8 text: the file is damaged or not a safetensors file.",
    );
  }
  if (!text.startsWith('{')) {
    throw new SafetensorsError(
      'This safetensors file\'s header does not start with "{": it is not a safetensors file.',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(
      `This safetensors file's header is not valid JSON (${e instanceof Error ? e.message : String(e)}).`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SafetensorsError("This safetensors file's header is not a JSON object.");
  }
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new SafetensorsError(
          "This safetensors file's __metadata__ is not an object of strings.",
        );
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string')
          throw new SafetensorsError(
            `This safetensors file's __metadata__ ${preview(k)} is not a string.`,
          );
        metadata[k] = v;
      }
      continue;
    }
    entries.push(checkEntry(name, value));
  }
  const dataLength = bytes.length - 8 - n;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let end = 0;
  for (const e of entries) {
    if (e.end > dataLength) {
      throw new SafetensorsError(
        `Tensor ${preview(e.name)} ends at byte ${count(e.end)} of the data, beyond its ${count(dataLength)} bytes: the file is truncated or damaged.`,
      );
    }
    if (e.begin < end) {
      throw new SafetensorsError(
        `Tensor ${preview(e.name)} (bytes ${count(e.begin)} to ${count(e.end)}) overlaps the tensor before it (which ends at ${count(end)}): the file is damaged.`,
      );
    }
    if (e.begin > end) {
      throw new SafetensorsError(
        `Tensor ${preview(e.name)} starts at byte ${count(e.begin)}, leaving a gap after byte ${count(end)}: the file is damaged.`,
      );
    }
    end = e.end;
  }
  if (end !== dataLength) {
    throw new SafetensorsError(
      `This safetensors file has ${count(dataLength - end)} bytes after its last tensor: it is damaged or two files joined.`,
    );
  }
  const tensors = new Map<string, ReadTensor>();
  const data = bytes.subarray(8 + n);
  for (const e of entries) {
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, bytes: data.subarray(e.begin, e.end) });
  }
  return { tensors, metadata };
}

/**
 * A tensor's values as f32: F16 and BF16 widened exactly, F64 rounded to nearest. Any other
 * dtype (integers, booleans, 8-bit floats) is refused, naming the tensor: the studio cannot use
 * it as weights.
 */
export function tensorFloats(name: string, t: ReadTensor): Float32Array {
  if (!FLOAT_DTYPES.includes(t.dtype)) {
    throw new SafetensorsError(
      `Tensor ${preview(name)} has dtype ${t.dtype}, which the studio cannot use as weights (it reads ${FLOAT_DTYPES.join(', ')}).`,
    );
  }
  return toFloat32(t);
}

function checkEntry(name: string, value: unknown): Entry {
  const bad = (what: string) => new SafetensorsError(`Tensor ${preview(name)} ${what}.`);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('is not described by an object');
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string') throw bad('has no dtype');
  if (!isDtype(dtype)) {
    throw bad(
      `has dtype ${preview(dtype)}, which is not a safetensors dtype the studio knows (${KNOWN_DTYPES})`,
    );
  }
  const isIndex = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isIndex))
    throw bad('has a shape that is not a list of whole numbers');
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every(isIndex) ||
    offsets[0] > offsets[1]
  )
    throw bad('has data_offsets that are not [begin, end] with begin <= end');
  const size = DTYPE_BYTES[dtype];
  const elements = shape.reduce((a: number, b: number) => a * b, 1);
  const length = offsets[1] - offsets[0];
  if (elements * size !== length) {
    throw bad(
      `has shape ${previewList(shape)} of ${dtype} (${count(elements * size)} bytes), but data_offsets span ${count(length)} bytes`,
    );
  }
  return { name, dtype, shape, begin: offsets[0], end: offsets[1] };
}

// Widening F16 and BF16 to f32 is exact.
function toFloat32(t: ReadTensor): Float32Array {
  const { bytes } = t;
  const elements = bytes.length / DTYPE_BYTES[t.dtype];
  if (t.dtype === 'F32') {
    if (bytes.byteOffset % 4 === 0)
      return new Float32Array(bytes.buffer, bytes.byteOffset, elements);
    return new Float32Array(bytes.slice().buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(elements);
  if (t.dtype === 'F64') {
    for (let i = 0; i < elements; i++) out[i] = view.getFloat64(i * 8, true);
    return out;
  }
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < elements; i++) {
    const h = view.getUint16(i * 2, true);
    bits[i] = t.dtype === 'BF16' ? h << 16 : halfToFloatBits(h);
  }
  return out;
}

function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal half: normalise into the f32 exponent range.
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}
