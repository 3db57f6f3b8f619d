// matmul.wgsl's epilogue for the MLP's fc layer: out keeps the pre-activation (backward needs
// it) and act gets gelu(out) in the same store, so GELU costs no kernel and no second read of
// out. Needs gelu_math.wgsl prepended (src/kernels/matmul.ts), the standalone kernel's functions.
//
// Binding (after matmul.wgsl's 0..4):
//   5 act (batch,M,N)  read_write  gelu(out), overwritten; must not be out

@group(0) @binding(5) var<storage, read_write> act: array<f32>;

fn epilogue(o: u32, v: f32) -> f32 {
  act[o] = gelu(v);
  return v;
}
