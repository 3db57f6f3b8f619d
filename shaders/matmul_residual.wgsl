// matmul.wgsl's epilogue for a projection that ends a residual branch: out = x + branch, with
// x = res, so the residual add costs no kernel and the branch output is never stored alone.
// Added last: (product + bias) + x rounds exactly as x + (product + bias) did in residual.wgsl.
//
// Binding (after matmul.wgsl's 0..4):
//   5 res (batch,M,N)  read  the stream entering the block; must not be out

@group(0) @binding(5) var<storage, read> res: array<f32>;

fn epilogue(o: u32, v: f32) -> f32 {
  return v + res[o];
}
