// LoRA-RITE steps 2 and 4-10 for one side of one LoRA pair (the A side: x = A (rows, r) with its
// partner B (prows, r) split by lora_rite_split.wgsl into U_B and R_B^+; the B side swaps them).
// One workgroup per side: the r x r statistics live in workgroup memory (3 matrices, 12 KiB at
// r = 32), the rows x r parts stream from storage, each element written by one invocation looping
// in a fixed order. Eigen-solves are cyclic Jacobi with a fixed sweep count.

struct Params {
  rows: u32,
  prows: u32,
  r: u32,
  escaped_mass: u32, // step 6 on (1) or off (0)
  lr: f32,
  b1: f32, // b1(t), bias-corrected decays for this step
  one_minus_b1: f32,
  b2: f32,
  gram_scale: f32, // (1 - b2(t)) / rows
  eps: f32,
  weight_decay: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>; // (rows, r) the factor stepped
@group(0) @binding(2) var<storage, read_write> m: array<f32>; // (rows, r) first moment
@group(0) @binding(3) var<storage, read_write> v: array<f32>; // (r, r) second moment, then rho
@group(0) @binding(4) var<storage, read_write> basis: array<f32>; // (prows, r) partner U(t-1)
@group(0) @binding(5) var<storage, read_write> g: array<f32>; // (rows, r) unmagnified gradient
@group(0) @binding(6) var<storage, read> dx: array<f32>; // (rows, r)
@group(0) @binding(7) var<storage, read> u: array<f32>; // (prows, r) partner U(t)
@group(0) @binding(8) var<storage, read> r_pinv: array<f32>; // (r, r) partner R^+

override WG: u32 = 64;
override SWEEPS: u32 = 12;
const MAXR: u32 = 32;
const UNIT: f32 = 5.9604645e-8; // 2^-24

var<workgroup> pm: array<f32, 1024>; // (r, r) basis change P
var<workgroup> wa: array<f32, 1024>; // (r, r) work: Jacobi's matrix
var<workgroup> wb: array<f32, 1024>; // (r, r) work: V~, then Jacobi's eigenvectors
var<workgroup> rot: vec3f; // c, s, and 1 when the pair was rotated
var<workgroup> before: array<f32, MAXR>; // eigenvalues of V(t-1), descending
var<workgroup> after: array<f32, MAXR>; // eigenvalues of V~ (descending), then of V + rho I
var<workgroup> rho: f32;

// wa (r, r) <- diag by Jacobi rotations, and wb <- wb J when vectors (wb = I gives eigenvectors).
// A pair is rotated only while its off-diagonal is above rounding relative to its diagonal, as in
// the reference; the zeroed entries are set exactly.
fn jacobi(lid: u32, vectors: bool) {
  let r = p.r;
  for (var sweep = 0u; sweep < SWEEPS; sweep++) {
    for (var i = 0u; i + 1u < r; i++) {
      for (var j = i + 1u; j < r; j++) {
        if (lid == 0u) {
          let aij = wa[i * r + j];
          let aii = wa[i * r + i];
          let ajj = wa[j * r + j];
          if (abs(aij) <= UNIT * sqrt(abs(aii * ajj))) {
            rot = vec3f(1.0, 0.0, 0.0);
          } else {
            let zeta = (ajj - aii) / (2.0 * aij);
            let t = select(-1.0, 1.0, zeta >= 0.0) / (abs(zeta) + sqrt(1.0 + zeta * zeta));
            let c = 1.0 / sqrt(1.0 + t * t);
            rot = vec3f(c, c * t, 1.0);
          }
        }
        workgroupBarrier();
        let c = rot.x;
        let s = rot.y;
        for (var k = lid; k < r; k += WG) {
          let xi = wa[k * r + i];
          let xj = wa[k * r + j];
          wa[k * r + i] = c * xi - s * xj;
          wa[k * r + j] = s * xi + c * xj;
          if (vectors) {
            let qi = wb[k * r + i];
            let qj = wb[k * r + j];
            wb[k * r + i] = c * qi - s * qj;
            wb[k * r + j] = s * qi + c * qj;
          }
        }
        workgroupBarrier();
        for (var k = lid; k < r; k += WG) {
          let xi = wa[i * r + k];
          let xj = wa[j * r + k];
          wa[i * r + k] = c * xi - s * xj;
          wa[j * r + k] = s * xi + c * xj;
        }
        workgroupBarrier();
        if (lid == 0u && rot.z > 0.0) {
          wa[i * r + j] = 0.0;
          wa[j * r + i] = 0.0;
        }
        workgroupBarrier();
      }
    }
  }
}

// before or after [0..r) <- diag(wa) sorted descending (selection by rank: ties broken by index, so no swaps
// and one invocation per value)
fn sorted_diagonal(lid: u32, into_before: bool) {
  let r = p.r;
  var rank = 0u;
  var value = 0.0;
  if (lid < r) {
    value = wa[lid * r + lid];
    for (var k = 0u; k < r; k++) {
      let other = wa[k * r + k];
      if (other > value || (other == value && k < lid)) { rank++; }
    }
  }
  workgroupBarrier();
  if (lid < r) {
    if (into_before) { before[rank] = value; } else { after[rank] = value; }
  }
  workgroupBarrier();
}

fn symmetrize_wb(lid: u32) {
  let r = p.r;
  for (var k = lid; k < r * r; k += WG) {
    let i = k / r;
    let j = k % r;
    if (i < j) {
      let s = 0.5 * (wb[i * r + j] + wb[j * r + i]);
      wb[i * r + j] = s;
      wb[j * r + i] = s;
    }
  }
  workgroupBarrier();
}

// x (rows, r), m (rows, r), v (r, r + 1 for rho), basis (prows, r) updated in place from
// dx (rows, r) and the partner's u (prows, r) and r_pinv (r, r)
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let r = p.r;
  let rows = p.rows;
  // 4. P = U(t)^T U(t-1), then U(t) becomes the stored basis for the next step
  for (var k = lid; k < r * r; k += WG) {
    let i = k / r;
    let j = k % r;
    var sum = 0.0;
    for (var l = 0u; l < p.prows; l++) { sum += u[l * r + i] * basis[l * r + j]; }
    pm[k] = sum;
  }
  storageBarrier();
  workgroupBarrier();
  for (var k = lid; k < p.prows * r; k += WG) { basis[k] = u[k]; }
  // 2. g = dx R^+ (= dZ U at full rank)
  for (var k = lid; k < rows * r; k += WG) {
    let i = k / r;
    let j = k % r;
    var sum = 0.0;
    for (var l = 0u; l < r; l++) { sum += dx[i * r + l] * r_pinv[l * r + j]; }
    g[k] = sum;
  }
  if (lid == 0u) { rho = v[r * r]; }
  // 5. V~ = P V P^T, through wa = P V
  for (var k = lid; k < r * r; k += WG) {
    let i = k / r;
    let j = k % r;
    var sum = 0.0;
    for (var l = 0u; l < r; l++) { sum += pm[i * r + l] * v[l * r + j]; }
    wa[k] = sum;
  }
  storageBarrier();
  workgroupBarrier();
  for (var k = lid; k < r * r; k += WG) {
    let i = k / r;
    let j = k % r;
    var sum = 0.0;
    for (var l = 0u; l < r; l++) { sum += wa[i * r + l] * pm[j * r + l]; }
    wb[k] = sum;
  }
  workgroupBarrier();
  symmetrize_wb(lid);
  // 6. escaped mass d = max_i (lambda_i(V(t-1)) - lambda_i(V~)); rho = b2 (rho + d)
  if (p.escaped_mass != 0u) {
    for (var k = lid; k < r * r; k += WG) { wa[k] = v[k]; }
    workgroupBarrier();
    jacobi(lid, false);
    sorted_diagonal(lid, true);
    for (var k = lid; k < r * r; k += WG) { wa[k] = wb[k]; }
    workgroupBarrier();
    jacobi(lid, false);
    sorted_diagonal(lid, false);
    if (lid == 0u) {
      var d = 0.0;
      for (var i = 0u; i < r; i++) { d = max(d, before[i] - after[i]); }
      rho = p.b2 * (rho + d);
    }
    workgroupBarrier();
  }
  // 5. V = b2 V~ + (1 - b2) g^T g / rows, symmetrized; stored for the next step
  for (var k = lid; k < r * r; k += WG) {
    let i = k / r;
    let j = k % r;
    var sum = 0.0;
    for (var l = 0u; l < rows; l++) { sum += g[l * r + i] * g[l * r + j]; }
    wb[k] = p.b2 * wb[k] + p.gram_scale * sum;
  }
  workgroupBarrier();
  symmetrize_wb(lid);
  for (var k = lid; k < r * r; k += WG) { v[k] = wb[k]; }
  if (lid == 0u) { v[r * r] = rho; }
  // 7. V + rho I = Q diag(w) Q^T; Pre = Q diag(1 / (sqrt(max(w, 0)) + eps)) Q^T. The clamp keeps
  // the rounding-level negative eigenvalues of a rank-deficient V from giving NaN.
  for (var k = lid; k < r * r; k += WG) {
    let diagonal = k / r == k % r;
    wa[k] = wb[k] + select(0.0, rho, diagonal);
    wb[k] = select(0.0, 1.0, diagonal);
  }
  workgroupBarrier();
  jacobi(lid, true);
  if (lid < r) { after[lid] = 1.0 / (sqrt(max(wa[lid * r + lid], 0.0)) + p.eps); }
  workgroupBarrier();
  for (var k = lid; k < r * r; k += WG) {
    let i = k / r;
    let j = k % r;
    var sum = 0.0;
    for (var l = 0u; l < r; l++) { sum += wb[i * r + l] * after[l] * wb[j * r + l]; }
    wa[k] = sum;
  }
  workgroupBarrier();
  // 8-10, one row per invocation: S = g Pre; M = b1 M P^T + (1 - b1) S; x -= lr (M R^+T + wd x)
  for (var i = lid; i < rows; i += WG) {
    var row: array<f32, MAXR>;
    for (var j = 0u; j < r; j++) {
      var s = 0.0;
      var transported = 0.0;
      for (var l = 0u; l < r; l++) {
        s += g[i * r + l] * wa[l * r + j];
        transported += m[i * r + l] * pm[j * r + l];
      }
      row[j] = p.b1 * transported + p.one_minus_b1 * s;
    }
    for (var j = 0u; j < r; j++) {
      m[i * r + j] = row[j];
      var delta = 0.0;
      for (var l = 0u; l < r; l++) { delta += row[l] * r_pinv[j * r + l]; }
      x[i * r + j] -= p.lr * (delta + p.weight_decay * x[i * r + j]);
    }
  }
}
