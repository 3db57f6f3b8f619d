// Bias gradient: dbias (N) += sum over rows of dout (M,N). One invocation per column sums the
// rows in index order, so the result is deterministic; neighbouring invocations read
// neighbouring addresses of each row.

struct Params { M: u32, N: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dbias: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = wid.x * WG + lid;
  if (n >= p.N) { return; }
  var sum = 0.0;
  for (var m = 0u; m < p.M; m++) { sum += dout[m * p.N + n]; }
  dbias[n] += sum;
}
