// In-place scaling x = c x: the LoRA scale alpha / r applied to the rank-r intermediate, which is
// far smaller than either product it sits between. One invocation per element; the grid may be
// 2-D when n exceeds 65535 workgroups.

struct Params { n: u32, c: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;

override WG: u32 = 256;

// x (n) = c x (n)
@compute @workgroup_size(WG)
fn scale(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
         @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i < p.n) { x[i] = p.c * x[i]; }
}
