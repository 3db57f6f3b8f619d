// Global L2 norm of the flat gradient grads (n) and the clip scale: norm (2) = [||grads||_2,
// min(1, max_norm / (||grads|| + 1e-6)), or 1 when max_norm <= 0], in two deterministic stages.
// `partials` gives each workgroup a fixed contiguous chunk of WG * PER_THREAD elements: each
// invocation sums the squares at a fixed stride in index order, then the workgroup folds them in
// a fixed tree.
// `finish` is one workgroup that folds the partials the same way and writes [norm, clip scale].
// No atomics, so the same gradient gives bit-identical results.

struct Params { count: u32, max_norm: f32 }

@group(0) @binding(0) var<uniform> p: Params;
// Bindings (binding 0 is the uniform p), as src/kernels/gradnorm.ts binds them per entry point:
//   entry point  1 out (read_write)                     2 inp (read)
//   partials     partials (ceil(n / (WG * PER_THREAD)))  grads (n)
//   finish       norm (2), read by adamw                 partials (p.count)
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> inp: array<f32>;

// The launcher sets WG per entry point. partials: 64 (GRAD_NORM_WG): on SwiftShader a 256-wide
// tree ran 15x slower than 64-wide ones over the same 4096 elements, and 64 is still one full
// AMD wavefront. finish: 256 (GRAD_NORM_FINISH_WG), the largest guaranteed size, since it is a
// single workgroup: each lane adds count / 256 partials in sequence before the tree.
// sh is WG f32s, at most 1 KiB of the 16 KiB of workgroup memory.
override WG: u32 = 64; // a power of two: the tree halves it
// Elements per lane in partials: a workgroup covers 64 * 64 = 4096, so ~37k partials for 150M
// parameters, few enough for finish's one workgroup.
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
