// GELU in GPT-2's tanh form, elementwise over the MLP's hidden activations, inp (n) with
// n = B*T*4C: out (n) = gelu(inp), and backward dinp (n) += dout (n) * gelu'(inp).
// The functions (gelu, gelu_grad and their helpers) are gelu_math.wgsl's, prepended.

struct Params { n: u32 }

// Bindings (binding 0 is the uniform p); forward binds 1, 2, backward 1, 2, 3:
//   1 out  (n)  read_write  forward: gelu(inp), overwritten
//   1 dinp (n)  read_write  backward: accumulated (+=), other paths' gradients are kept
//   2 inp  (n)  read        the pre-activation, kept from forward for backward
//   3 dout (n)  read        backward: gradient of out
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read_write> dinp: array<f32>;
@group(0) @binding(2) var<storage, read> inp: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;

// One lane per element, no workgroup memory and no barriers: 256, the largest size WebGPU
// guarantees, for the fewest workgroups (src/kernels/gelu.ts). grid1d spreads the n / 256
// workgroups over x and y when they exceed 65535 per dimension.
override WG: u32 = 256;

fn index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + lid;
}

// out (n) = x sigma(a(x)), x = inp (n)
@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < p.n) {
    out[i] = gelu(inp[i]);
  }
}

// dinp (n) += dout (n) * gelu'(inp (n))
@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < p.n) {
    dinp[i] += dout[i] * gelu_grad(inp[i]);
  }
}
