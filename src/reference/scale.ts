// Float64 twin of shaders/scale.wgsl.

// x (n) = c x (n), in place
export function scale(x: Float64Array, c: number): void {
  for (let i = 0; i < x.length; i++) x[i] *= c;
}
