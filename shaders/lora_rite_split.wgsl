// LoRA-RITE steps 1 and 2 for every factor of every pair, one workgroup per factor (A of pair i
// at 2 i, B at 2 i + 1), with the sizes and offsets from the pair table. Needs
// lora_rite_rounds.wgsl and lora_table.wgsl prepended (src/optim/loraRite.ts).
//
// | binding | buffer  | access     | holds                                                        |
// | 0       | p       | uniform    | Params: the pair count and the scratch regions' offsets      |
// | 1       | table   | read       | the pair table (lora_table.wgsl)                             |
// | 2       | params  | read       | every A and B (loraLayout)                                   |
// | 3       | grads   | read       | every dA and dB, same layout                                 |
// | 4       | scratch | read_write | out: U (loraLayout), g (loraLayout), R^+ (r x r slots), each |
// |         |         |            | side's sum of squares of g (one float a side)                |
//
// Workgroup size WG (an override; src/optim/loraRite.ts picks it): 32 on a GPU (a warp; each
// invocation keeps 32 column sums, which fit in 16 KiB at 32), 4 on a CPU adapter (SwiftShader
// runs a workgroup 4 lanes at a time and switches between groups of 4 at every barrier, so one
// group is fastest). Any WG from 1 to 32 works: workgroup memory is 12,932 + 8 WG bytes
// (partial 4 KiB, w and vm 4 KiB each, dots/head/tau/v0 640 B, sums and the rounds' flags 8 WG B
// + 4), so 13,188 B at WG = 32 and 12,964 B at WG = 4, under WebGPU's 16,384 B default. partial
// holds max(WG, 32) x 32 floats: WG x 32 for the column sums, and r^2 <= 1,024 for R^+ (with
// WG x 32 floats alone it held only 128 at WG = 4, and R^+ overflowed for r >= 12).
//
// 1. x (rows, r) = Q R, Householder QR as the reference's qr (backward stable: cond(x), not its
// square as the Gram matrix would give). Each reflection is one pass over the rows for the
// column's norm and its dot products with the trailing columns, then one rank-1 update, so two
// barriers a column; every invocation owns the same rows throughout, so the (rows, r) work needs
// no barrier of its own. Q is then formed in place (the reflections applied backwards to [I; 0]).
// R^+ is the reference's pinv of R: one-sided Jacobi on R (r, r) in workgroup memory, R V = W,
// R^+ = V diag(1 / sigma^2) W^T over the sigma_j = |w_j| above rows 2^-23 sigma_max (rounding
// residue of a rank-deficient x counts as zero, so a zero factor gives R^+ = 0 and no NaN).
// Rotations go in rounds of disjoint column pairs, one barrier a round, until a sweep rotates
// none (the decision depends only on the data: the same every run).
// 2. The partner's unmagnified gradient g_P (prows, r) = dP R^+ and its sum of squares, for step 3
// (update skipping and the global clip, done by lora_rite.wgsl).

struct Params {
  pairs: u32,
  u_base: u32, // scratch regions: U and g (loraLayout), R^+ (r x r slots), sums of squares
  g_base: u32,
  rp_base: u32,
  sums_base: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> params: array<f32>; // every A and B (loraLayout)
@group(0) @binding(3) var<storage, read> grads: array<f32>; // every dA and dB, same layout
@group(0) @binding(4) var<storage, read_write> scratch: array<f32>;

override WG: u32 = 32; // 1 to 32: see the header
override MAX_SWEEPS: u32 = 12; // a cap: f32 convergence takes 4-8 sweeps at r <= 32
const MAXR: u32 = 32;
const UNIT: f32 = 5.9604645e-8; // 2^-24

// per invocation and column, sums over the invocation's rows (WG * MAXR); later R^+ (r, r), up to
// MAXR^2: the larger of the two, so that R^+ fits for every r <= MAXR at every WG
var<workgroup> partial: array<f32, max(WG, MAXR) * MAXR>;
var<workgroup> dots: array<f32, MAXR>; // the sums over all rows, by column
var<workgroup> head: array<f32, 2 * MAXR>; // row k of x before reflection k, by k's parity
var<workgroup> tau: array<f32, MAXR>; // reflection k is I - tau_k v_k v_k^T
var<workgroup> v0: array<f32, MAXR>; // v_k's entry in row k (its entries below are x's)
var<workgroup> w: array<f32, MAXR * MAXR>; // R (r, r), rotated into W = R V
var<workgroup> vm: array<f32, MAXR * MAXR>; // V, then V diag(1 / sigma^2)
var<workgroup> sums: array<f32, WG>;

// dots[j] = the invocations' partial sums of column j, in invocation order, for j in [j0, r)
fn combine(lid: u32, j0: u32, r: u32) {
  for (var j = j0 + lid; j < r; j += WG) {
    var s = 0.0;
    for (var l = 0u; l < WG; l++) { s += partial[l * MAXR + j]; }
    dots[j] = s;
  }
}

// the first of this invocation's rows (lid, lid + WG, ...) at or after row k
fn first_row(lid: u32, k: u32) -> u32 {
  return select(lid + (k - lid + WG - 1u) / WG * WG, lid, lid >= k);
}

// x (rows, r) at u0 in scratch <- Q R's Householder vectors (v_k in column k, rows >= k); w <- R
fn householder(lid: u32, u0: u32, rows: u32, r: u32) {
  for (var k = 0u; k < r; k++) {
    // x_k . x_j over rows >= k for j >= k; the owner of row k shares it
    var acc = array<f32, MAXR>();
    for (var i = first_row(lid, k); i < rows; i += WG) {
      let xik = scratch[u0 + i * r + k];
      for (var j = k; j < r; j++) { acc[j] += xik * scratch[u0 + i * r + j]; }
    }
    for (var j = k; j < r; j++) { partial[lid * MAXR + j] = acc[j]; }
    let hb = (k % 2u) * MAXR;
    if (k % WG == lid) {
      for (var j = k; j < r; j++) { head[hb + j] = scratch[u0 + k * r + j]; }
    }
    workgroupBarrier();
    combine(lid, k, r);
    workgroupBarrier();
    // the reflection taking column k to (alpha e_k), alike in every invocation: v = x_k - alpha
    // e_k with alpha's sign against x_kk (no cancellation), tau = 2 / |v|^2 = 1 / (s - alpha x_kk)
    let s = dots[k];
    let xkk = head[hb + k];
    let alpha = select(sqrt(s), -sqrt(s), xkk >= 0.0);
    let vk = xkk - alpha;
    let tk = select(0.0, 1.0 / (s - alpha * xkk), s > 0.0);
    // x_j -= tau (v . x_j) v, v . x_j = dots[j] - alpha x_kj
    for (var i = first_row(lid, k); i < rows; i += WG) {
      let vi = select(scratch[u0 + i * r + k], vk, i == k);
      for (var j = k + 1u; j < r; j++) {
        scratch[u0 + i * r + j] -= tk * (dots[j] - alpha * head[hb + j]) * vi;
      }
      if (i == k) { scratch[u0 + i * r + k] = vk; }
    }
    // row k of R is final now
    for (var j = lid; j < r; j += WG) {
      let rkj = head[hb + j] - tk * (dots[j] - alpha * head[hb + j]) * vk;
      w[k * r + j] = select(select(rkj, alpha, j == k), 0.0, j < k);
    }
    if (lid == 0u) {
      tau[k] = tk;
      v0[k] = vk;
    }
  }
  workgroupBarrier();
}

// x (rows, r) at u0: Householder vectors -> Q = H_0 ... H_{r-1} [I; 0], in place: when H_k is
// applied, columns > k hold H_{k+1} ... H_{r-1} [I; 0], zero in rows <= k
fn form_q(lid: u32, u0: u32, rows: u32, r: u32) {
  for (var i = lid; i < r; i += WG) {
    for (var j = i + 1u; j < r; j++) { scratch[u0 + i * r + j] = 0.0; }
  }
  for (var kk = 0u; kk < r; kk++) {
    let k = r - 1u - kk;
    var acc = array<f32, MAXR>();
    for (var i = first_row(lid, k + 1u); i < rows; i += WG) {
      let vi = scratch[u0 + i * r + k];
      for (var j = k + 1u; j < r; j++) { acc[j] += vi * scratch[u0 + i * r + j]; }
    }
    for (var j = k + 1u; j < r; j++) { partial[lid * MAXR + j] = acc[j]; }
    workgroupBarrier();
    combine(lid, k + 1u, r);
    workgroupBarrier();
    let tk = tau[k];
    for (var i = first_row(lid, k); i < rows; i += WG) {
      let vi = select(scratch[u0 + i * r + k], v0[k], i == k);
      for (var j = k + 1u; j < r; j++) { scratch[u0 + i * r + j] -= tk * dots[j] * vi; }
      scratch[u0 + i * r + k] = select(-tk * v0[k] * vi, 1.0 - tk * v0[k] * vi, i == k);
    }
  }
}

// w (r, r) <- W = R V with orthogonal columns, vm <- V, by one-sided Jacobi. A pair is rotated
// while its columns are further from orthogonal than rounding of their length-r dot product
// (sqrt(r) 2^-23, LAPACK sgesvj's criterion).
fn orthogonalize(lid: u32, r: u32) {
  for (var k = lid; k < r * r; k += WG) { vm[k] = select(0.0, 1.0, k / r == k % r); }
  workgroupBarrier();
  let n = r + r % 2u;
  let tol = sqrt(f32(r)) * 2.0 * UNIT;
  for (var sweep = 0u; sweep < MAX_SWEEPS; sweep++) {
    var rotated = 0u;
    for (var turn = 0u; turn + 1u < n; turn++) {
      for (var q = lid; q < n / 2u; q += WG) {
        let ij = round_pair(turn, q, n);
        if (ij.y >= r) { continue; }
        var g = vec3f(0.0);
        for (var l = 0u; l < r; l++) {
          let a = w[l * r + ij.x];
          let b = w[l * r + ij.y];
          g += vec3f(a * a, b * b, a * b);
        }
        if (abs(g.z) > tol * sqrt(g.x * g.y)) {
          rotated = 1u;
          let cs = jacobi_rotation(g.x, g.y, g.z);
          for (var l = 0u; l < r; l++) {
            let a = w[l * r + ij.x];
            let b = w[l * r + ij.y];
            w[l * r + ij.x] = cs.x * a - cs.y * b;
            w[l * r + ij.y] = cs.y * a + cs.x * b;
            let c = vm[l * r + ij.x];
            let d = vm[l * r + ij.y];
            vm[l * r + ij.x] = cs.x * c - cs.y * d;
            vm[l * r + ij.y] = cs.y * c + cs.x * d;
          }
        }
      }
      workgroupBarrier();
    }
    if (!any_rotated(lid, rotated)) { break; }
  }
}

// scratch: U (Q), R^+ of factor wid.x, the partner's g and its sum of squares
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let factor = wid.x;
  if (factor >= 2u * p.pairs) { return; }
  let side = lora_side(factor);
  let r = side.r;
  let rows = side.rows;
  let prows = side.prows;
  let off = side.off;
  let poff = side.poff;
  let u0 = p.u_base + off; // this factor's U, the Householder vectors before it
  let rp0 = p.rp_base + side.own_slot;
  // each invocation copies the rows it owns in householder and form_q
  for (var i = lid; i < rows; i += WG) {
    for (var j = 0u; j < r; j++) { scratch[u0 + i * r + j] = params[off + i * r + j]; }
  }
  householder(lid, u0, rows, r);
  form_q(lid, u0, rows, r);
  orthogonalize(lid, r);
  // sigma_j^2 = |w_j|^2; columns below the cutoff count as zero
  for (var j = lid; j < r; j += WG) {
    var s = 0.0;
    for (var l = 0u; l < r; l++) { s += w[l * r + j] * w[l * r + j]; }
    dots[j] = s;
  }
  workgroupBarrier();
  var max2 = 0.0;
  for (var j = 0u; j < r; j++) { max2 = max(max2, dots[j]); }
  let cutoff = f32(rows) * 2.0 * UNIT * sqrt(max2);
  for (var k = lid; k < r * r; k += WG) {
    let s2 = dots[k % r];
    vm[k] = select(0.0, vm[k] / s2, s2 > cutoff * cutoff && s2 > 0.0);
  }
  workgroupBarrier();
  // R^+ (r, r) = V diag(1 / sigma^2) W^T, kept in partial for step 2
  for (var k = lid; k < r * r; k += WG) {
    let i = k / r;
    let l = k % r;
    var sum = 0.0;
    for (var j = 0u; j < r; j++) { sum += vm[i * r + j] * w[l * r + j]; }
    partial[k] = sum;
    scratch[rp0 + k] = sum;
  }
  workgroupBarrier();
  // 2. g_P = dP R^+, one row per invocation (the row of dP read once); its sum of squares in
  // row order, then in lid order
  var acc = 0.0;
  for (var i = lid; i < prows; i += WG) {
    var di: array<f32, MAXR>;
    for (var l = 0u; l < r; l++) { di[l] = grads[poff + i * r + l]; }
    for (var j = 0u; j < r; j++) {
      var sum = 0.0;
      for (var l = 0u; l < r; l++) { sum += di[l] * partial[l * r + j]; }
      scratch[p.g_base + poff + i * r + j] = sum;
      acc += sum * sum;
    }
  }
  sums[lid] = acc;
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var l = 0u; l < WG; l++) { total += sums[l]; }
    scratch[p.sums_base + (factor ^ 1u)] = total;
  }
}
