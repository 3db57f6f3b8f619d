// LoRA-RITE steps 1 and 2 for every factor of every pair, one workgroup per factor (A of pair i
// at 2 i, B at 2 i + 1), with the sizes and offsets from the pair table.
// 1. x (rows, r) = U R with U orthonormal columns and R (r, r), by one-sided (Hestenes) Jacobi on
// x itself, as the reference's pinv does on R: rotate the columns until they are orthogonal,
// x V = W, W_j = sigma_j u_j. Then U = W diag(1 / sigma), R = diag(sigma) V^T and
// R^+ = V diag(1 / sigma), with the singular values below rows 2^-23 sigma_max (rounding residue
// of a rank-deficient x) counted as zero: their U columns and R^+ columns are 0, so a zero factor
// gives R^+ = 0 and no NaN. Working on x (not x^T x) keeps cond(x), not its square.
// 2. The partner's unmagnified gradient g_P (prows, r) = dP R^+ (R^+ of this factor), and its sum
// of squares for step 3 (update skipping and the global clip, done by lora_rite.wgsl).

struct Params {
  pairs: u32,
  u_base: u32, // scratch regions: U and g (loraLayout), R^+ (r x r slots), sums of squares
  g_base: u32,
  rp_base: u32,
  sums_base: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<u32>; // per pair: m, n, r, off A, off B, slot
@group(0) @binding(2) var<storage, read> params: array<f32>; // every A and B (loraLayout)
@group(0) @binding(3) var<storage, read> grads: array<f32>; // every dA and dB, same layout
@group(0) @binding(4) var<storage, read_write> scratch: array<f32>;

override WG: u32 = 64; // a power of two: the reduction tree halves it
override SWEEPS: u32 = 12; // fixed, so the cost and the result do not depend on convergence
const MAXR: u32 = 32;
const UNIT: f32 = 5.9604645e-8; // 2^-24

var<workgroup> v: array<f32, 1024>; // (r, r), MAXR^2: V, then R^+
var<workgroup> partial: array<vec3f, WG>;
var<workgroup> rot: vec3f; // c, s, and 1 when the pair was rotated
var<workgroup> sigma2: array<f32, MAXR>;

fn fold(lid: u32, acc: vec3f) -> vec3f {
  partial[lid] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  let out = partial[0];
  workgroupBarrier();
  return out;
}

// (sum_k w_ki^2, sum_k w_kj^2, sum_k w_ki w_kj) over the rows of w (rows, r) at u0 in scratch,
// by a fixed tree: deterministic.
fn gram2(lid: u32, u0: u32, rows: u32, r: u32, i: u32, j: u32) -> vec3f {
  var acc = vec3f(0.0);
  for (var k = lid; k < rows; k += WG) {
    let wi = scratch[u0 + k * r + i];
    let wj = scratch[u0 + k * r + j];
    acc += vec3f(wi * wi, wj * wj, wi * wj);
  }
  return fold(lid, acc);
}

// scratch: U, R^+ of factor wid.x, the partner's g and its sum of squares
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let factor = wid.x;
  if (factor >= 2u * p.pairs) { return; }
  let t = (factor / 2u) * 6u;
  let b_side = factor % 2u == 1u;
  let r = table[t + 2u];
  let rows = select(table[t], table[t + 1u], b_side);
  let prows = select(table[t + 1u], table[t], b_side);
  let off = select(table[t + 3u], table[t + 4u], b_side);
  let poff = select(table[t + 4u], table[t + 3u], b_side);
  let u0 = p.u_base + off; // this factor's U, W while rotating
  let rp0 = p.rp_base + table[t + 5u] + select(0u, r * r + 1u, b_side);
  for (var k = lid; k < rows * r; k += WG) { scratch[u0 + k] = params[off + k]; }
  for (var k = lid; k < r * r; k += WG) { v[k] = select(0.0, 1.0, k / r == k % r); }
  storageBarrier();
  workgroupBarrier();
  for (var sweep = 0u; sweep < SWEEPS; sweep++) {
    for (var i = 0u; i + 1u < r; i++) {
      for (var j = i + 1u; j < r; j++) {
        let g = gram2(lid, u0, rows, r, i, j);
        if (lid == 0u) {
          // the rotation that diagonalises [[alpha, gamma], [gamma, beta]]; skipped when the
          // columns are orthogonal to rounding, as in the reference
          if (abs(g.z) <= UNIT * sqrt(g.x * g.y)) {
            rot = vec3f(1.0, 0.0, 0.0);
          } else {
            let zeta = (g.y - g.x) / (2.0 * g.z);
            let tn = select(-1.0, 1.0, zeta >= 0.0) / (abs(zeta) + sqrt(1.0 + zeta * zeta));
            let c = 1.0 / sqrt(1.0 + tn * tn);
            rot = vec3f(c, c * tn, 1.0);
          }
        }
        workgroupBarrier();
        let c = rot.x;
        let s = rot.y;
        for (var k = lid; k < rows; k += WG) {
          let wi = scratch[u0 + k * r + i];
          let wj = scratch[u0 + k * r + j];
          scratch[u0 + k * r + i] = c * wi - s * wj;
          scratch[u0 + k * r + j] = s * wi + c * wj;
        }
        for (var k = lid; k < r; k += WG) {
          let vi = v[k * r + i];
          let vj = v[k * r + j];
          v[k * r + i] = c * vi - s * vj;
          v[k * r + j] = s * vi + c * vj;
        }
        storageBarrier();
        workgroupBarrier();
      }
    }
  }
  for (var j = 0u; j < r; j++) {
    let g = gram2(lid, u0, rows, r, j, j);
    if (lid == 0u) { sigma2[j] = g.x; }
  }
  workgroupBarrier();
  var max2 = 0.0;
  for (var j = 0u; j < r; j++) { max2 = max(max2, sigma2[j]); }
  let cutoff = f32(rows) * 2.0 * UNIT * sqrt(max2);
  let cutoff2 = cutoff * cutoff;
  for (var k = lid; k < rows * r; k += WG) {
    let s2 = sigma2[k % r];
    scratch[u0 + k] = select(0.0, scratch[u0 + k] / sqrt(s2), s2 > cutoff2 && s2 > 0.0);
  }
  for (var k = lid; k < r * r; k += WG) {
    let s2 = sigma2[k % r];
    v[k] = select(0.0, v[k] / sqrt(s2), s2 > cutoff2 && s2 > 0.0);
    scratch[rp0 + k] = v[k];
  }
  workgroupBarrier();
  // 2. g_P = dP R^+, one element per invocation in index order; its sum of squares by the tree
  var acc = 0.0;
  for (var k = lid; k < prows * r; k += WG) {
    let i = k / r;
    let j = k % r;
    var sum = 0.0;
    for (var l = 0u; l < r; l++) { sum += grads[poff + i * r + l] * v[l * r + j]; }
    scratch[p.g_base + poff + k] = sum;
    acc += sum * sum;
  }
  let total = fold(lid, vec3f(acc, 0.0, 0.0));
  if (lid == 0u) { scratch[p.sums_base + (factor ^ 1u)] = total.x; }
}
