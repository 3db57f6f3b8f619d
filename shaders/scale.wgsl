// In-place scaling x (n) = c x (n): the LoRA scale alpha / r applied to the rank-r intermediate
// (n = M*r, M = B*T rows), which is far smaller than either product it sits between.
//
// Bindings (binding 0 is the uniform p, holding n and c):
//   1 x (n)  read_write  scaled in place

struct Params { n: u32, c: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;

// One lane per element, no workgroup memory and no barriers: 256, the largest size WebGPU
// guarantees, for the fewest workgroups (src/kernels/scale.ts). grid1d spreads the n / 256
// workgroups over x and y when they exceed 65535 per dimension.
override WG: u32 = 256;

// x (n) = c x (n)
@compute @workgroup_size(WG)
fn scale(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
         @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i < p.n) { x[i] = p.c * x[i]; }
}
