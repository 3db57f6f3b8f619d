// Residual connection: out = a + b (forward), and out += b (summing gradients that meet at a
// residual). One invocation per element; the grid may be 2-D when n exceeds 65535 workgroups.

struct Params { n: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;

override WG: u32 = 256;

fn index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + lid;
}

// out (n) = out (n) + b (n)
@compute @workgroup_size(WG)
fn accumulate(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < p.n) { out[i] = out[i] + b[i]; }
}

@group(0) @binding(3) var<storage, read> a: array<f32>;

// out (n) = a (n) + b (n)
@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < p.n) { out[i] = a[i] + b[i]; }
}
