// matmul.wgsl's epilogue for the gradient entering GELU: the MLP's c_proj dinp product is the
// gradient of gelu(pre), and the store multiplies it by gelu'(pre), so out is the gradient of
// the fc layer's output. No GELU backward kernel, no gradient of gelu(pre) stored, no clear.
// Needs gelu_math.wgsl prepended (src/kernels/matmul.ts), the standalone kernel's functions.
//
// Binding (after matmul.wgsl's 0..4):
//   5 pre (batch,M,N)  read  the pre-activation the forward kept; must not be out

@group(0) @binding(5) var<storage, read> pre: array<f32>;

fn epilogue(o: u32, v: f32) -> f32 {
  return v * gelu_grad(pre[o]);
}
