// Float64 twins of shaders/gelu.wgsl: GPT-2's tanh approximation of GELU,
// 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3).
// Written as 0.5 (1 + tanh(u)) = 1 / (1 + exp(-2u)) and 1 - tanh(u)^2 = 1 / cosh(u)^2: the same
// functions, but without the cancellation of 1 + tanh(u) and 1 - tanh(u)^2 for negative x, so
// the reference stays accurate in the tails the f32 kernel is checked on.

const S = Math.sqrt(2 / Math.PI);
const C3 = 0.044715;

// out (n) = gelu(inp (n))
export function geluForward(out: Float64Array, inp: ArrayLike<number>, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = inp[i];
    out[i] = x / (1 + Math.exp(-2 * S * (x + C3 * x ** 3)));
  }
}

// dinp (n) += dout (n) * gelu'(inp (n))
export function geluBackward(
  dinp: Float64Array,
  inp: ArrayLike<number>,
  dout: ArrayLike<number>,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const x = inp[i];
    const u = S * (x + C3 * x ** 3);
    const grad =
      1 / (1 + Math.exp(-2 * u)) + (0.5 * x * S * (1 + 3 * C3 * x * x)) / Math.cosh(u) ** 2;
    dinp[i] += dout[i] * grad;
  }
}
