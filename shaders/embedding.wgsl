// Token + position embedding. Forward: one invocation per output element. Backward without
// float atomics: the CPU groups the batch's positions by token (src/kernels/tokenGroups.ts), so
// each dwte row is owned by one workgroup that sums its positions in increasing order; the
// workgroups after the B*T group slots each own one dwpe row and sum over b in order.
//
// Entry points bind different variables at the same binding numbers: WGSL allows it as long as
// no one entry point uses both.
//
// Bindings (binding 0 is the uniform p):
//   entry point  1             2                 3             4                5            6               7
//   forward      out (B,T,C)   tokens (B,T)      wte (V,C)     wpe (maxT,C)
//   backward     dwte (V,C)    dwpe (maxT,C)     dout (B,T,C)  group_ids        group_starts group_positions group_count
//
// WG = 256 invocations: forward is one per output element and backward one per channel of a
// row; 256 is the most every adapter allows (REQUIRED_LIMITS), so a row of C <= 256 is one pass.

// BT = B*T, T and C; n = B*T*C (forward only).
struct Params { BT: u32, T: u32, C: u32, n: u32 }

@group(0) @binding(0) var<uniform> p: Params;

override WG: u32 = 256;

fn linear_workgroup(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.x + wid.y * nwg.x;
}

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> tokens: array<u32>;
@group(0) @binding(3) var<storage, read> wte: array<f32>;
@group(0) @binding(4) var<storage, read> wpe: array<f32>;

// out (B,T,C) = wte[tokens (B,T)] (V,C) + wpe[t] (maxT,C)
@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let i = linear_workgroup(wid, nwg) * WG + lid;
  if (i >= p.n) { return; }
  let bt = i / p.C;
  let c = i % p.C;
  let t = bt % p.T;
  out[i] = wte[tokens[bt] * p.C + c] + wpe[t * p.C + c];
}

@group(0) @binding(1) var<storage, read_write> dwte: array<f32>;
@group(0) @binding(2) var<storage, read_write> dwpe: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;
// The token groups: group g is token ids[g], at positions[starts[g] .. starts[g+1]).
@group(0) @binding(4) var<storage, read> group_ids: array<u32>;
@group(0) @binding(5) var<storage, read> group_starts: array<u32>;
@group(0) @binding(6) var<storage, read> group_positions: array<u32>;
@group(0) @binding(7) var<storage, read> group_count: array<u32>;

// dwte (V,C) += dout (B,T,C) summed by token; dwpe (maxT,C) += dout summed over b.
// Workgroups [0, BT) are group slots (those past the batch's group count exit), [BT, BT+T) rows of dwpe.
@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let w = linear_workgroup(wid, nwg);
  if (w < p.BT) {
    if (w >= group_count[0]) { return; }
    let row = group_ids[w] * p.C;
    let first = group_starts[w];
    let last = group_starts[w + 1u];
    for (var c = lid; c < p.C; c += WG) {
      var acc = 0.0;
      for (var k = first; k < last; k++) { acc += dout[group_positions[k] * p.C + c]; }
      dwte[row + c] += acc;
    }
  } else if (w < p.BT + p.T) {
    let t = w - p.BT;
    let batch = p.BT / p.T;
    for (var c = lid; c < p.C; c += WG) {
      var acc = 0.0;
      for (var b = 0u; b < batch; b++) { acc += dout[(b * p.T + t) * p.C + c]; }
      dwpe[t * p.C + c] += acc;
    }
  }
}
