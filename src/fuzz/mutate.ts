// Mutations of valid inputs, as a damaged disk, a careless converter or a hostile file makes them:
// bytes cut, flipped or inserted, and JSON fields given huge, negative, wrong-typed, deeply
// nested or huge values. Each mutation says what it did, so a failure can be reproduced by eye.
import type { Rng } from '../util/rng';

export interface Mutated<T> {
  value: T;
  /** What was done, e.g. 'flip byte 812 bit 3' or 'settings.model.nLayer = 1e308'. */
  what: string;
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(items.length)];

/** The input cut at `at` bytes. */
export function truncate(bytes: Uint8Array, at: number): Mutated<Uint8Array> {
  return { value: bytes.slice(0, at), what: `truncated to ${at} bytes` };
}

/** One random byte-level change: a flipped bit, a byte set to an edge value, bytes inserted or cut. */
export function mutateBytes(rng: Rng, bytes: Uint8Array): Mutated<Uint8Array> {
  const at = rng.int(bytes.length);
  switch (rng.int(4)) {
    case 0: {
      const out = bytes.slice();
      const bit = rng.int(8);
      out[at] ^= 1 << bit;
      return { value: out, what: `flip byte ${at} bit ${bit}` };
    }
    case 1: {
      const out = bytes.slice();
      const v = pick(rng, [0x00, 0x01, 0x7f, 0x80, 0xff, 0x22, 0x7b, 0x5b]);
      out[at] = v;
      return { value: out, what: `byte ${at} = 0x${v.toString(16)}` };
    }
    case 2: {
      const n = 1 + rng.int(16);
      const out = new Uint8Array(bytes.length + n);
      out.set(bytes.subarray(0, at));
      for (let i = 0; i < n; i++) out[at + i] = rng.int(256);
      out.set(bytes.subarray(at), at + n);
      return { value: out, what: `${n} random bytes inserted at ${at}` };
    }
    default: {
      const n = 1 + rng.int(16);
      const end = Math.min(bytes.length, at + n);
      const out = new Uint8Array(bytes.length - (end - at));
      out.set(bytes.subarray(0, at));
      out.set(bytes.subarray(end), at);
      return { value: out, what: `${n} bytes cut at ${at}` };
    }
  }
}

// Stand-ins replaced in the JSON text: values JSON.stringify cannot write (1e400), or would
// overflow the stack writing (100,000 levels of nesting), or that are big.
const MARKERS: Record<string, string> = {
  '\u0000deep\u0000': `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
  '\u0000deepObject\u0000': `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`,
  '\u0000hugeArray\u0000': `[${'0,'.repeat(200_000)}0]`,
  '\u0000hugeString\u0000': JSON.stringify('x'.repeat(1_000_000)),
  '\u0000infinity\u0000': '1e400',
  '\u0000minusInfinity\u0000': '-1e400',
};

/** Values a field may be replaced by: huge, negative, fractional, of the wrong type, or a marker. */
const REPLACEMENTS: readonly unknown[] = [
  0,
  -1,
  1,
  3,
  99,
  0.5,
  -0.5,
  1e6,
  1e7,
  1e9,
  2 ** 32,
  2 ** 53,
  1e308,
  -1e308,
  null,
  true,
  false,
  '',
  'x',
  '1000000000',
  'toString',
  '__proto__',
  'constructor',
  [],
  [1, 2, 3],
  {},
  { __proto__: null, toString: 1 },
  ...Object.keys(MARKERS),
];

type Path = (string | number)[];

/** Every path to a value in `v`, the root excluded (at most `limit`, found breadth-first). */
function paths(v: unknown, limit = 20_000): Path[] {
  const out: Path[] = [];
  const queue: [Path, unknown][] = [[[], v]];
  for (let i = 0; i < queue.length && out.length < limit; i++) {
    const [path, value] = queue[i];
    if (path.length > 0) out.push(path);
    if (Array.isArray(value)) {
      for (let k = 0; k < value.length; k++) queue.push([[...path, k], value[k]]);
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, x] of Object.entries(value)) queue.push([[...path, k], x]);
    }
  }
  return out;
}

const pathText = (p: Path) =>
  p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');

function parentOf(root: unknown, path: Path): Record<string | number, unknown> {
  let at = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  return at;
}

/**
 * One random edit of a JSON value, as text: a field replaced (see REPLACEMENTS), deleted, or
 * joined by a "__proto__" key. `json` is not changed.
 */
export function mutateJson(rng: Rng, json: unknown): Mutated<string> {
  const copy: unknown = JSON.parse(JSON.stringify(json));
  const all = paths(copy);
  if (all.length === 0) return { value: JSON.stringify(copy), what: 'unchanged' };
  const path = pick(rng, all);
  const parent = parentOf(copy, path);
  const key = path[path.length - 1];
  let what: string;
  const kind = rng.int(10);
  if (kind === 0 && !Array.isArray(parent)) {
    delete parent[key];
    what = `${pathText(path)} deleted`;
  } else if (kind === 1 && !Array.isArray(parent)) {
    Object.defineProperty(parent, '__proto__', { value: { polluted: true }, enumerable: true });
    what = `${pathText(path.slice(0, -1)) || 'the root'} given a "__proto__" key`;
  } else {
    const value = pick(rng, REPLACEMENTS);
    parent[key] = value;
    what = `${pathText(path)} = ${typeof value === 'string' ? JSON.stringify(value).replace(/\\u0000/g, '') : JSON.stringify(value)}`;
  }
  let text = JSON.stringify(copy);
  for (const [marker, replacement] of Object.entries(MARKERS)) {
    text = text.split(JSON.stringify(marker)).join(replacement);
  }
  return { value: text, what };
}
