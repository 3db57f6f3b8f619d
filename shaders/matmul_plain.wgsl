// matmul.wgsl's epilogue when the product is stored as it is (see its binding table).
fn epilogue(o: u32, v: f32) -> f32 {
  return v;
}
