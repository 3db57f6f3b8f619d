// Global L2 norm of the flat gradient and the clip scale, in two deterministic stages. `partials`
// gives each workgroup a fixed contiguous chunk of WG * PER_THREAD elements: each invocation sums
// the squares at a fixed stride in index order, then the workgroup folds them in a fixed tree.
// `finish` is one workgroup that folds the partials the same way and writes [norm, clip scale].
// No atomics, so the same gradient gives bit-identical results.

struct Params { count: u32, max_norm: f32 }

@group(0) @binding(0) var<uniform> p: Params;
// partials: out = one sum of squares per chunk, inp = grads. finish: out = norm (2), inp = partials.
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> inp: array<f32>;

override WG: u32 = 64; // a power of two: the tree halves it
override PER_THREAD: u32 = 64;

var<workgroup> sh: array<f32, WG>;

fn tree_sum(lid: u32, x: f32) -> f32 {
  sh[lid] = x;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { sh[lid] += sh[lid + s]; }
    workgroupBarrier();
  }
  return sh[0];
}

// out (ceil(n / (WG * PER_THREAD))) = sum over each chunk of inp^2, inp (n); p.count = n
@compute @workgroup_size(WG)
fn partials(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let start = (wid.x + wid.y * nwg.x) * WG * PER_THREAD;
  var s = 0.0;
  for (var k = 0u; k < PER_THREAD; k++) {
    let i = start + k * WG + lid;
    if (i < p.count) {
      let g = inp[i];
      s += g * g;
    }
  }
  let total = tree_sum(lid, s);
  // grid1d may launch a few workgroups past the last chunk.
  if (lid == 0u && start < p.count) { out[start / (WG * PER_THREAD)] = total; }
}

// out (2) = [sqrt(sum inp), clip scale], inp (count) = the partial sums of squares
@compute @workgroup_size(WG)
fn finish(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < p.count; i += WG) { s += inp[i]; }
  let norm = sqrt(tree_sum(lid, s));
  if (lid == 0u) {
    out[0] = norm;
    out[1] = select(1.0, min(1.0, p.max_norm / (norm + 1e-6)), p.max_norm > 0.0);
  }
}
