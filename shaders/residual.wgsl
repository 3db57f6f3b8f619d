// Residual connection over the residual stream, n = B*T*C: out (n) = a (n) + b (n) (forward),
// and out (n) += b (n) (accumulate: summing the gradients that meet at a residual).
//
// Bindings (binding 0 is the uniform p); accumulate binds 1, 2, forward 1, 2, 3. src/kernels/
// residual.ts passes (out, b, a), so the binding shared by both entry points comes first:
//   1 out (n)  read_write  forward: overwritten; accumulate: += b
//   2 b   (n)  read        the branch output (forward) or the gradient to add (accumulate)
//   3 a   (n)  read        forward only: the stream entering the block

struct Params { n: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;

// One lane per element, no workgroup memory and no barriers: 256, the largest size WebGPU
// guarantees, for the fewest workgroups. grid1d spreads the n / 256 workgroups over x and y
// when they exceed 65535 per dimension.
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
