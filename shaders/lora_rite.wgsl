// LoRA-RITE steps 3-10 for every side of every pair, one workgroup per side (the A side of pair i
// at 2 i: x = A (rows = m, r) stepped in the basis of its partner B (prows = n), split by
// lora_rite_split.wgsl into U_B and R_B^+; the B side at 2 i + 1 swaps them). The r x r statistics
// live in workgroup memory (3 matrices, 12 KiB at r = 32), the rows x r parts stream from storage
// (or through a 2 KiB stage for the r x r products over rows), each element written by one
// invocation looping in a fixed order. Eigen-solves are Jacobi in parallel rounds
// (lora_rite_rounds.wgsl) until a sweep rotates nothing. Step 3's global norm is summed
// by every workgroup in the same fixed order, so all agree bit for bit without another dispatch
// or atomics. Needs lora_rite_rounds.wgsl and lora_table.wgsl prepended (src/optim/loraRite.ts).
//
// | binding | buffer  | access     | holds                                                        |
// | 0       | p       | uniform    | Params: pair count, switches, regions, this step's numbers   |
// | 1       | table   | read       | the pair table (lora_table.wgsl)                             |
// | 2       | params  | read_write | every A and B (loraLayout), stepped in place                 |
// | 3       | grads   | read       | every dA and dB, same layout (only tested for non-finites)   |
// | 4       | scratch | read       | lora_rite_split.wgsl's U, g, R^+ and sums of squares         |
// | 5       | state   | read_write | M and the stored bases (loraLayout), V and rho (r x r slots) |
// | 6       | status  | read_write | per side, the first non-finite quantity's code (0: none)     |
//
// Workgroup size WG (an override, a power of two for the trees; src/optim/loraRite.ts picks it):
// 64 on a GPU (two warps for the (rows, r) loops and the r^2 / 2 Jacobi blocks of a round), 4 on a
// CPU adapter (SwiftShader runs 4 lanes at a time and switches groups at every barrier, so one
// group is fastest). Workgroup memory is 14,856 + 12 WG bytes (pm, wa, wb 4 KiB each, stage 2 KiB,
// rots 256 B, before and after 256 B, rho and the rounds' flag 8 B; partial, first and the
// rounds' flags 12 WG B): 15,624 B at WG = 64 and 14,904 B at WG = 4, under WebGPU's 16,384 B
// default; every r x r array holds MAXR^2 = 1,024 floats, so every r from 1 to 32 fits at any WG
// up to 64.

struct Params {
  pairs: u32,
  escaped_mass: u32, // step 6 on (1) or off (0)
  clip: u32, // step 3 on (1) or off (0)
  u_base: u32, // scratch regions (see lora_rite_split.wgsl)
  g_base: u32,
  rp_base: u32,
  sums_base: u32,
  m_base: u32, // state regions: M and the stored bases (loraLayout), V and rho (r x r slots)
  basis_base: u32,
  v_base: u32,
  lr: f32,
  b1: f32, // b1(t), bias-corrected decays for this step
  one_minus_b1: f32,
  b2: f32,
  one_minus_b2: f32,
  eps: f32,
  weight_decay: f32,
  clip_norm: f32, // the global norm of all unmagnified gradients is scaled down to this
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> params: array<f32>; // every A and B (loraLayout)
@group(0) @binding(3) var<storage, read> grads: array<f32>; // every dA and dB, same layout
@group(0) @binding(4) var<storage, read> scratch: array<f32>; // U, g, R^+, sums of squares
@group(0) @binding(5) var<storage, read_write> state: array<f32>; // M, bases, V and rho
// (2 pairs) the first non-finite quantity of each side, in the order computed: 1 gradient,
// 2 unmagnified gradient, 3 second moment, 4 escaped mass, 5 first moment, 6 factor; 0 if none
@group(0) @binding(6) var<storage, read_write> status: array<u32>;

override WG: u32 = 64; // a power of two up to 64: see the header
override MAX_SWEEPS: u32 = 12; // a cap: f32 convergence takes 4-8 sweeps at r <= 32
const MAXR: u32 = 32;
const UNIT: f32 = 5.9604645e-8; // 2^-24
const FINITE: u32 = 7u; // above every code

var<workgroup> pm: array<f32, 1024>; // (r, r) basis change P
const STAGE: u32 = 512; // floats of a chunk of (rows, r) rows staged in workgroup memory
var<workgroup> stage: array<f32, STAGE>;
var<workgroup> wa: array<f32, 1024>; // (r, r) work: Jacobi's matrix
var<workgroup> wb: array<f32, 1024>; // (r, r) work: V~, then Jacobi's eigenvectors
var<workgroup> rots: array<vec3f, MAXR / 2>; // each pair's c, s, and 1 if rotated, this round
var<workgroup> before: array<f32, MAXR>; // eigenvalues of V(t-1), descending
var<workgroup> after: array<f32, MAXR>; // eigenvalues of V~ (descending), then of V + rho I
var<workgroup> rho: f32;
var<workgroup> partial: array<f32, WG>;
var<workgroup> first: array<u32, WG>;

fn bad(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

// wa (r, r) <- diag by Jacobi rotations, and wb <- wb J when vectors (wb = I gives eigenvectors).
// A pair is rotated only while its off-diagonal is above rounding relative to its diagonal, as in
// the reference; the zeroed entries are set exactly. Each round rotates n / 2 disjoint pairs at
// once: their rotations, then wa <- J^T wa J by 2 x 2 blocks (rows of one pair, columns of
// another: each block needs only its two rotations), two barriers a round; sweeps stop when one
// rotates nothing.
fn jacobi(lid: u32, r: u32, vectors: bool) {
  let n = r + r % 2u;
  let half = n / 2u;
  for (var sweep = 0u; sweep < MAX_SWEEPS; sweep++) {
    var rotated = 0u;
    for (var turn = 0u; turn + 1u < n; turn++) {
      for (var q = lid; q < half; q += WG) {
        let ij = round_pair(turn, q, n);
        var rotation = vec3f(1.0, 0.0, 0.0);
        if (ij.y < r) {
          let aij = wa[ij.x * r + ij.y];
          let aii = wa[ij.x * r + ij.x];
          let ajj = wa[ij.y * r + ij.y];
          if (abs(aij) > UNIT * sqrt(abs(aii * ajj))) {
            rotated = 1u;
            rotation = vec3f(jacobi_rotation(aii, ajj, aij), 1.0);
          }
        }
        rots[q] = rotation;
      }
      workgroupBarrier();
      for (var b = lid; b < half * half; b += WG) {
        let bp = b / half;
        let bq = b % half;
        let rp = round_pair(turn, bp, n); // rows
        let cq = round_pair(turn, bq, n); // columns
        let jp = rots[bp];
        let jq = rots[bq];
        // the padding index r reads 0 and is not written
        let x00 = wa_at(rp.x, cq.x, r);
        let x01 = wa_at(rp.x, cq.y, r);
        let x10 = wa_at(rp.y, cq.x, r);
        let x11 = wa_at(rp.y, cq.y, r);
        let y00 = jq.x * x00 - jq.y * x01;
        let y01 = jq.y * x00 + jq.x * x01;
        let y10 = jq.x * x10 - jq.y * x11;
        let y11 = jq.y * x10 + jq.x * x11;
        let zeroed = bp == bq && jp.z > 0.0;
        wa_set(rp.x, cq.x, r, jp.x * y00 - jp.y * y10);
        wa_set(rp.x, cq.y, r, select(jp.x * y01 - jp.y * y11, 0.0, zeroed));
        wa_set(rp.y, cq.x, r, select(jp.y * y00 + jp.x * y10, 0.0, zeroed));
        wa_set(rp.y, cq.y, r, jp.y * y01 + jp.x * y11);
      }
      if (vectors) {
        for (var b = lid; b < r * half; b += WG) {
          let k = b / half;
          let q = b % half;
          let cq = round_pair(turn, q, n);
          if (cq.y < r) {
            let c = rots[q].x;
            let s = rots[q].y;
            let qi = wb[k * r + cq.x];
            let qj = wb[k * r + cq.y];
            wb[k * r + cq.x] = c * qi - s * qj;
            wb[k * r + cq.y] = s * qi + c * qj;
          }
        }
      }
      workgroupBarrier();
    }
    if (!any_rotated(lid, rotated)) { break; }
  }
}

fn wa_at(i: u32, j: u32, r: u32) -> f32 {
  return select(0.0, wa[min(i, r - 1u) * r + min(j, r - 1u)], i < r && j < r);
}

fn wa_set(i: u32, j: u32, r: u32, x: f32) {
  if (i < r && j < r) { wa[i * r + j] = x; }
}

// before or after [0..r) <- diag(wa) sorted descending (selection by rank: ties broken by index,
// so no swaps and one invocation per value)
fn sorted_diagonal(lid: u32, r: u32, into_before: bool) {
  for (var i = lid; i < r; i += WG) {
    let value = wa[i * r + i];
    var rank = 0u;
    for (var k = 0u; k < r; k++) {
      let other = wa[k * r + k];
      if (other > value || (other == value && k < i)) { rank++; }
    }
    if (into_before) { before[rank] = value; } else { after[rank] = value; }
  }
  workgroupBarrier();
}

fn symmetrize_wb(lid: u32, r: u32) {
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

// rows x r of side `side` (its factor's size), from the table
fn side_size(side: u32) -> u32 {
  let s = lora_side(side);
  return s.rows * s.r;
}

// 3. The factor g of this side is scaled by: 0 when RMS(g) > 1 (update skipping), else the
// global clip scale min(1, clip_norm / norm) over the sides not skipped. Every workgroup sums
// the same per-side sums in the same order: the same scale everywhere.
fn clip_factor(lid: u32, side: u32) -> f32 {
  if (p.clip == 0u) { return 1.0; }
  var acc = 0.0;
  for (var j = lid; j < 2u * p.pairs; j += WG) {
    let s = scratch[p.sums_base + j];
    acc += select(s, 0.0, sqrt(s / f32(side_size(j))) > 1.0);
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  let norm = sqrt(partial[0]);
  let own = scratch[p.sums_base + side];
  let scale = select(1.0, p.clip_norm / norm, norm > p.clip_norm);
  return select(scale, 0.0, sqrt(own / f32(side_size(side))) > 1.0);
}

// params (x of this side), state (M, basis, V, rho) updated in place, status[side] written, from
// grads (dx) and scratch (the partner's U and R^+, this side's g and every side's sum of squares)
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let side = wid.x;
  if (side >= 2u * p.pairs) { return; }
  let own = lora_side(side);
  let r = own.r;
  let rows = own.rows;
  let prows = own.prows;
  let xo = own.off; // x, dx, g, M of this side
  let po = own.poff; // the partner's U and stored basis
  let rp = p.rp_base + own.partner_slot; // the partner's R^+
  let vo = p.v_base + own.own_slot; // V (r, r), then rho
  let go = p.g_base + xo;
  let mo = p.m_base + xo;
  let uo = p.u_base + po;
  let bo = p.basis_base + po;
  var code = FINITE;
  let gscale = clip_factor(lid, side);
  // 4. P = U(t)^T U(t-1), then U(t) becomes the stored basis for the next step. U(t-1) goes
  // through workgroup memory a chunk of rows at a time; one row of P per invocation.
  for (var k = lid; k < r * r; k += WG) { pm[k] = 0.0; }
  let ch = STAGE / r;
  for (var l0 = 0u; l0 < prows; l0 += ch) {
    let count = min(ch, prows - l0);
    for (var k = lid; k < count * r; k += WG) { stage[k] = state[bo + l0 * r + k]; }
    workgroupBarrier();
    for (var i = lid; i < r; i += WG) {
      for (var l = 0u; l < count; l++) {
        let u = scratch[uo + (l0 + l) * r + i];
        for (var j = 0u; j < r; j++) { pm[i * r + j] += u * stage[l * r + j]; }
      }
    }
    workgroupBarrier();
  }
  storageBarrier();
  workgroupBarrier();
  for (var k = lid; k < prows * r; k += WG) { state[bo + k] = scratch[uo + k]; }
  if (lid == 0u) { rho = state[vo + r * r]; }
  // 5. V~ = P V P^T, through wa = P V
  for (var k = lid; k < r * r; k += WG) {
    let i = k / r;
    let j = k % r;
    var sum = 0.0;
    for (var l = 0u; l < r; l++) { sum += pm[i * r + l] * state[vo + l * r + j]; }
    wa[k] = sum;
  }
  workgroupBarrier();
  for (var k = lid; k < r * r; k += WG) {
    let i = k / r;
    let j = k % r;
    var sum = 0.0;
    for (var l = 0u; l < r; l++) { sum += wa[i * r + l] * pm[j * r + l]; }
    wb[k] = sum;
  }
  workgroupBarrier();
  symmetrize_wb(lid, r);
  // 6. escaped mass d = max_i (lambda_i(V(t-1)) - lambda_i(V~)); rho = b2 (rho + d)
  if (p.escaped_mass != 0u) {
    for (var k = lid; k < r * r; k += WG) { wa[k] = state[vo + k]; }
    workgroupBarrier();
    jacobi(lid, r, false);
    sorted_diagonal(lid, r, true);
    for (var k = lid; k < r * r; k += WG) { wa[k] = wb[k]; }
    workgroupBarrier();
    jacobi(lid, r, false);
    sorted_diagonal(lid, r, false);
    if (lid == 0u) {
      var d = 0.0;
      for (var i = 0u; i < r; i++) { d = max(d, before[i] - after[i]); }
      rho = p.b2 * (rho + d);
    }
    workgroupBarrier();
  }
  // 5. V = b2 V~ + (1 - b2) g^T g / rows, symmetrized; stored for the next step. g^T g in wa
  // (free until step 7), g through workgroup memory as U(t-1) above.
  for (var k = lid; k < r * r; k += WG) { wa[k] = 0.0; }
  for (var l0 = 0u; l0 < rows; l0 += ch) {
    let count = min(ch, rows - l0);
    for (var k = lid; k < count * r; k += WG) { stage[k] = scratch[go + l0 * r + k] * gscale; }
    workgroupBarrier();
    for (var i = lid; i < r; i += WG) {
      for (var l = 0u; l < count; l++) {
        let gi = stage[l * r + i];
        for (var j = 0u; j < r; j++) { wa[i * r + j] += gi * stage[l * r + j]; }
      }
    }
    workgroupBarrier();
  }
  for (var k = lid; k < r * r; k += WG) {
    wb[k] = p.b2 * wb[k] + p.one_minus_b2 * wa[k] / f32(rows);
  }
  workgroupBarrier();
  symmetrize_wb(lid, r);
  storageBarrier();
  for (var k = lid; k < r * r; k += WG) {
    state[vo + k] = wb[k];
    if (bad(wb[k])) { code = min(code, 3u); }
  }
  if (lid == 0u) { state[vo + r * r] = rho; }
  if (bad(rho)) { code = min(code, 4u); }
  // 7. V + rho I = Q diag(w) Q^T; Pre = Q diag(1 / (sqrt(max(w, 0)) + eps)) Q^T. The clamp keeps
  // the rounding-level negative eigenvalues of a rank-deficient V from giving NaN.
  for (var k = lid; k < r * r; k += WG) {
    let diagonal = k / r == k % r;
    wa[k] = wb[k] + select(0.0, rho, diagonal);
    wb[k] = select(0.0, 1.0, diagonal);
  }
  workgroupBarrier();
  jacobi(lid, r, true);
  for (var i = lid; i < r; i += WG) { after[i] = 1.0 / (sqrt(max(wa[i * r + i], 0.0)) + p.eps); }
  workgroupBarrier();
  for (var k = lid; k < r * r; k += WG) {
    let i = k / r;
    let j = k % r;
    var sum = 0.0;
    for (var l = 0u; l < r; l++) { sum += wb[i * r + l] * after[l] * wb[j * r + l]; }
    wa[k] = sum;
  }
  workgroupBarrier();
  // R^+ of the partner into wb (free now), for the re-magnification below
  for (var k = lid; k < r * r; k += WG) { wb[k] = scratch[rp + k]; }
  workgroupBarrier();
  // 8-10, one row per invocation: S = g Pre; M = b1 M P^T + (1 - b1) S; x -= lr (M R^+T + wd x).
  // The row's g and M are read once into registers; the r x r operands are in workgroup memory.
  for (var i = lid; i < rows; i += WG) {
    var gi: array<f32, MAXR>;
    var mi: array<f32, MAXR>;
    for (var l = 0u; l < r; l++) {
      if (bad(grads[xo + i * r + l])) { code = min(code, 1u); }
      gi[l] = scratch[go + i * r + l] * gscale;
      if (bad(gi[l])) { code = min(code, 2u); }
      mi[l] = state[mo + i * r + l];
    }
    var row: array<f32, MAXR>;
    for (var j = 0u; j < r; j++) {
      var s = 0.0;
      var transported = 0.0;
      for (var l = 0u; l < r; l++) {
        s += gi[l] * wa[l * r + j];
        transported += mi[l] * pm[j * r + l];
      }
      row[j] = p.b1 * transported + p.one_minus_b1 * s;
    }
    for (var j = 0u; j < r; j++) {
      state[mo + i * r + j] = row[j];
      var delta = 0.0;
      for (var l = 0u; l < r; l++) { delta += row[l] * wb[j * r + l]; }
      let x = params[xo + i * r + j] - p.lr * (delta + p.weight_decay * params[xo + i * r + j]);
      params[xo + i * r + j] = x;
      if (bad(row[j])) { code = min(code, 5u); }
      if (bad(x)) { code = min(code, 6u); }
    }
  }
  first[lid] = code;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { first[lid] = min(first[lid], first[lid + stride]); }
    workgroupBarrier();
  }
  if (lid == 0u) { status[side] = select(first[0], 0u, first[0] == FINITE); }
}
