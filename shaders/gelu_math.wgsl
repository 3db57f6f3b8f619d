// GPT-2's tanh GELU and its derivative as WGSL functions, shared by gelu.wgsl, matmul_gelu.wgsl
// and matmul_gelu_grad.wgsl (prepended by src/kernels/gelu.ts and src/kernels/matmul.ts), so the
// standalone kernel and the matmuls' fused epilogues compute the same bits.
// 0.5 (1 + tanh(u)) is the logistic function of a = 2u, evaluated from exp(-|a|): that never
// overflows, so there is no tanh of a large argument (inaccurate or NaN on some drivers) and no
// inf * 0, for any x.

const TWO_S = 1.5957691216057308; // 2 sqrt(2/pi): a = 2u
const C3 = 0.044715;
const C33 = 0.134145; // 3 * 0.044715, for du/dx

// a = 2 sqrt(2/pi) (x + 0.044715 x^3)
fn arg(x: f32) -> f32 {
  return TWO_S * (x + C3 * (x * x * x));
}

// (sigma(a), sigma(a) (1 - sigma(a))) with sigma(a) = 1 / (1 + exp(-a)) = 0.5 (1 + tanh(a / 2))
fn logistic(a: f32) -> vec2f {
  let e = exp(-abs(a));
  let r = 1.0 / (1.0 + e);
  return vec2f(select(e * r, r, a >= 0.0), e * r * r);
}

// gelu(x) = x sigma(a(x))
fn gelu(x: f32) -> f32 {
  return x * logistic(arg(x)).x;
}

// gelu'(x) = sigma + x sigma (1 - sigma) da/dx
fn gelu_grad(x: f32) -> f32 {
  let s = logistic(arg(x));
  return s.x + x * (TWO_S * (1.0 + C33 * (x * x))) * s.y;
}
