/**
 * A small seeded generator (mulberry32) so initialisation, data order and test inputs are the
 * same on every run and every machine. Its whole state is one u32, so it can be checkpointed.
 */
export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform u32. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal by Box-Muller, caching the second value. */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u = 1 - this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Float32 array of normals with the given std (values exactly representable in f32). */
  normalArray(length: number, std = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.normal() * std;
    return out;
  }

  /** Float32 array uniform in [lo, hi). */
  uniformArray(length: number, lo = -1, hi = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  get seedState(): number {
    return this.state;
  }
}
