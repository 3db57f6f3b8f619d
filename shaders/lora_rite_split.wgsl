// LoRA-RITE step 1 for one factor x (rows, r): x = U R with U orthonormal columns and R (r, r).
// One-sided (Hestenes) Jacobi on x itself, as the reference's pinv does on R: rotate the columns
// until they are orthogonal, x V = W, W_j = sigma_j u_j. Then U = W diag(1 / sigma), R = diag(sigma)
// V^T and R^+ = V diag(1 / sigma), with the singular values below rcond * sigma_max (rounding
// residue of a rank-deficient x) counted as zero: their U columns and R^+ columns are 0, so a zero
// factor gives R^+ = 0 and no NaN. Working on x (not the Gram matrix x^T x) keeps cond(x), not its
// square. One workgroup per factor; x streams from storage, only V (r, r) lives in workgroup memory.

struct Params {
  rows: u32,
  r: u32,
  rcond: f32, // rows * 2^-23, the reference's cutoff in f32
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> u: array<f32>; // (rows, r): W while rotating
@group(0) @binding(3) var<storage, read_write> r_pinv: array<f32>; // (r, r)

override WG: u32 = 64; // a power of two: the reduction tree halves it
override SWEEPS: u32 = 12; // fixed, so the cost and the result do not depend on convergence
const MAXR: u32 = 32;
const UNIT: f32 = 5.9604645e-8; // 2^-24

var<workgroup> v: array<f32, 1024>; // (r, r), MAXR^2
var<workgroup> partial: array<vec3f, WG>;
var<workgroup> rot: vec3f; // c, s, and 1 when the pair was rotated
var<workgroup> sigma2: array<f32, MAXR>;

// (sum_k w_ki^2, sum_k w_kj^2, sum_k w_ki w_kj) over the rows, by a fixed tree: deterministic.
fn gram2(lid: u32, i: u32, j: u32) -> vec3f {
  var acc = vec3f(0.0);
  for (var k = lid; k < p.rows; k += WG) {
    let wi = u[k * p.r + i];
    let wj = u[k * p.r + j];
    acc += vec3f(wi * wi, wj * wj, wi * wj);
  }
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

// u (rows, r) = U, r_pinv (r, r) = R^+ of x (rows, r)
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let r = p.r;
  for (var k = lid; k < p.rows * r; k += WG) { u[k] = x[k]; }
  for (var k = lid; k < r * r; k += WG) { v[k] = select(0.0, 1.0, k / r == k % r); }
  storageBarrier();
  workgroupBarrier();
  for (var sweep = 0u; sweep < SWEEPS; sweep++) {
    for (var i = 0u; i + 1u < r; i++) {
      for (var j = i + 1u; j < r; j++) {
        let g = gram2(lid, i, j);
        if (lid == 0u) {
          // the rotation that diagonalises [[alpha, gamma], [gamma, beta]]; skipped when the
          // columns are orthogonal to rounding, as in the reference
          if (abs(g.z) <= UNIT * sqrt(g.x * g.y)) {
            rot = vec3f(1.0, 0.0, 0.0);
          } else {
            let zeta = (g.y - g.x) / (2.0 * g.z);
            let t = select(-1.0, 1.0, zeta >= 0.0) / (abs(zeta) + sqrt(1.0 + zeta * zeta));
            let c = 1.0 / sqrt(1.0 + t * t);
            rot = vec3f(c, c * t, 1.0);
          }
        }
        workgroupBarrier();
        let c = rot.x;
        let s = rot.y;
        for (var k = lid; k < p.rows; k += WG) {
          let wi = u[k * r + i];
          let wj = u[k * r + j];
          u[k * r + i] = c * wi - s * wj;
          u[k * r + j] = s * wi + c * wj;
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
    let g = gram2(lid, j, j);
    if (lid == 0u) { sigma2[j] = g.x; }
  }
  workgroupBarrier();
  var max2 = 0.0;
  for (var j = 0u; j < r; j++) { max2 = max(max2, sigma2[j]); }
  let cutoff = p.rcond * sqrt(max2);
  let cutoff2 = cutoff * cutoff;
  for (var k = lid; k < p.rows * r; k += WG) {
    let s2 = sigma2[k % r];
    u[k] = select(0.0, u[k] / sqrt(s2), s2 > cutoff2 && s2 > 0.0);
  }
  for (var k = lid; k < r * r; k += WG) {
    let s2 = sigma2[k % r];
    r_pinv[k] = select(0.0, v[k] / sqrt(s2), s2 > cutoff2 && s2 > 0.0);
  }
}
