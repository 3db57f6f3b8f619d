// Bias gradient of a matmul: dbias (N) += sum over the M rows of dout (M,N), M = B*T tokens.
// One invocation per column sums the rows in index order, so the result is deterministic;
// neighbouring invocations read neighbouring addresses of each row. Launched by biasBackward in
// src/kernels/matmul.ts.
//
// Bindings (binding 0 is the uniform p):
//   1 dbias (N)    read_write  accumulated: other gradient contributions are kept
//   2 dout  (M,N)  read        gradient of the matmul's output

struct Params { M: u32, N: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dbias: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;

// One lane per column (BIAS_WG in the launcher). N is only C to 4C (768..3072 for GPT-2 small),
// so 64 rather than 256 keeps N / 64 workgroups (12 at N = 768) for the cores to share instead
// of 3; 64 is still one full AMD wavefront, two 32-wide warps. The grid is 1-D, ceil(N / 64).
override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = wid.x * WG + lid;
  if (n >= p.N) { return; }
  var sum = 0.0;
  for (var m = 0u; m < p.M; m++) { sum += dout[m * p.N + n]; }
  dbias[n] += sum;
}
