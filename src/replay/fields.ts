// Checking a loaded recording field by field: each helper names the path of what it checks and
// quotes the bad value bounded (a file may hold megabytes in one string), so a refusal says where.
import { clip, preview } from '../util/preview';

export const RECORDING_FORMAT = 'webgpu-training-studio/recording';

/** The adapter the run trained on, as the GPU panel showed it. */
export interface RecordedAdapter {
  vendor: string;
  architecture: string;
  description: string;
}

/** A file that is not a recording this studio can replay; the message says what is wrong. */
export class RecordingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordingError';
  }
}

export type Json = Record<string, unknown>;

export function fail(path: string, what: string, v: unknown): never {
  throw new RecordingError(`${path} must be ${what}, not ${preview(v)}.`);
}

export function obj(path: string, v: unknown): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v);
  return v as Json;
}

export function arr(path: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) fail(path, 'a list', v);
  return v;
}

export function num(path: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'a number', v);
  return v;
}

/** A loss or score may be NaN or infinite (a diverged run, an unscored block); JSON writes null. */
export function loss(path: string, v: unknown): number {
  if (v === null) return Number.NaN;
  return num(path, v);
}

export function count(path: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 0) fail(path, 'a whole number of at least 0', v);
  return v as number;
}

/** A whole number in [min, max]. */
export function between(path: string, v: unknown, min: number, max: number): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
    fail(path, `a whole number from ${min} to ${max}`, v);
  return v as number;
}

export function str(path: string, v: unknown): string {
  if (typeof v !== 'string') fail(path, 'a string', v);
  return v;
}

export function strings(path: string, v: unknown): Record<string, string> {
  const o = obj(path, v);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(o)) {
    if (k === '__proto__')
      throw new RecordingError(`${path} has a key "__proto__", which no recording writes.`);
    out[k] = str(`${path}.${clip(k)}`, x);
  }
  return out;
}

export function oneOf<T extends string>(path: string, v: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) fail(path, `one of ${allowed.join(', ')}`, v);
  return v as T;
}
