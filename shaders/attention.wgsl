// Causal multi-head self-attention over llm.c's qkv (B,T,3C): q, k, v side by side on the channel
// axis, head h owning channels [h*hs, (h+1)*hs) of each. One workgroup per score row or column,
// so the (T,T) matrix of a head is never written to memory: forward saves each row's
// log-sum-exp and backward rebuilds the probabilities from it (as flash attention does).
// Every sum runs in a fixed order (index order within an invocation, then a fixed tree), so the
// results are bit-identical from run to run; dk and dv are summed over queries by one invocation
// per channel, so no two workgroups ever write the same gradient.

struct Params { T: u32, C: u32, NH: u32, hs: u32, rows: u32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;

// Threads per workgroup (a power of two, for the reduction tree) and the longest row (T).
override WG: u32 = 64;
override TMAX: u32 = 1024;

// One score row or column: probabilities, then (in backward) their gradients beside them.
var<workgroup> row: array<f32, TMAX>;
var<workgroup> drow: array<f32, TMAX>;
var<workgroup> tree: array<f32, WG>;

const F32_LOWEST = -0x1.fffffep+127f;

// Where a workgroup's row lives: position t, and the offsets of position 0 of its (b, h) in qkv
// (q0, k0, v0; position j adds j * 3C), in out and dout (o0; j adds j * C) and in lse (l0).
struct Site { t: u32, q0: u32, k0: u32, v0: u32, o0: u32, l0: u32 }

fn site(r: u32) -> Site {
  let t = r % p.T;
  let bh = r / p.T;
  let h = bh % p.NH;
  let b = bh / p.NH;
  let q0 = b * p.T * 3u * p.C + h * p.hs;
  return Site(t, q0, q0 + p.C, q0 + 2u * p.C, b * p.T * p.C + h * p.hs, bh * p.T);
}

fn row_index(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// Max (take_max) or sum over the workgroup, tree order fixed by lid; every thread gets the result.
fn reduce(lid: u32, x: f32, take_max: bool) -> f32 {
  tree[lid] = x;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      let y = tree[lid + stride];
      tree[lid] = select(tree[lid] + y, max(tree[lid], y), take_max);
    }
    workgroupBarrier();
  }
  let r = tree[0];
  workgroupBarrier();
  return r;
}

// Bindings shared by forward and backward: qkv and lse keep their numbers in both.
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;
@group(0) @binding(3) var<storage, read> qkv: array<f32>;

// scale * q_i . k_j, summed in channel order (forward and backward round it identically)
fn score(s: Site, i: u32, j: u32) -> f32 {
  let C3 = 3u * p.C;
  var x = 0.0;
  for (var d = 0u; d < p.hs; d++) { x += qkv[s.q0 + i * C3 + d] * qkv[s.k0 + j * C3 + d]; }
  return x * p.scale;
}

@group(0) @binding(1) var<storage, read_write> out: array<f32>;

// out (B,T,C), lse (B,NH,T) = causal softmax(q k^T * scale) v; one workgroup per (b, h, t)
@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let r = row_index(wid, nwg);
  if (r >= p.rows) { return; }
  let s = site(r);
  var m = F32_LOWEST;
  for (var j = lid; j <= s.t; j += WG) {
    let x = score(s, s.t, j);
    row[j] = x;
    m = max(m, x);
  }
  m = reduce(lid, m, true);
  var l = 0.0;
  for (var j = lid; j <= s.t; j += WG) {
    let e = exp(row[j] - m);
    row[j] = e;
    l += e;
  }
  // The barriers inside reduce also publish row[] to every thread.
  l = reduce(lid, l, false);
  let C3 = 3u * p.C;
  for (var d = lid; d < p.hs; d += WG) {
    var acc = 0.0;
    for (var j = 0u; j <= s.t; j++) { acc += row[j] * qkv[s.v0 + j * C3 + d]; }
    out[s.o0 + s.t * p.C + d] = acc / l;
  }
  if (lid == 0u) { lse[r] = m + log(l); }
}

@group(0) @binding(1) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(4) var<storage, read> dout: array<f32>;
// D_i = rowsum(P * dP) of each score row: written by backward_rows, read by backward_columns.
@group(0) @binding(5) var<storage, read_write> delta: array<f32>;

// P_ij = exp(scale q_i . k_j - lse_i), rebuilt from what forward saved
fn prob(s: Site, i: u32, j: u32) -> f32 {
  return exp(score(s, i, j) - lse[s.l0 + i]);
}

// dP_ij = dout_i . v_j
fn dprob(s: Site, i: u32, j: u32) -> f32 {
  var x = 0.0;
  for (var d = 0u; d < p.hs; d++) { x += dout[s.o0 + i * p.C + d] * qkv[s.v0 + j * 3u * p.C + d]; }
  return x;
}

// dq_t += scale * sum_j dS_tj k_j with dS = P (dP - D), and D_t; one workgroup per (b, h, t)
@compute @workgroup_size(WG)
fn backward_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                 @builtin(local_invocation_index) lid: u32) {
  let r = row_index(wid, nwg);
  if (r >= p.rows) { return; }
  let s = site(r);
  var D = 0.0;
  for (var j = lid; j <= s.t; j += WG) {
    let P = prob(s, s.t, j);
    let dP = dprob(s, s.t, j);
    row[j] = P;
    drow[j] = dP;
    D += P * dP;
  }
  D = reduce(lid, D, false);
  for (var j = lid; j <= s.t; j += WG) { drow[j] = row[j] * (drow[j] - D); }
  workgroupBarrier();
  let C3 = 3u * p.C;
  for (var d = lid; d < p.hs; d += WG) {
    var acc = 0.0;
    for (var j = 0u; j <= s.t; j++) { acc += drow[j] * qkv[s.k0 + j * C3 + d]; }
    dqkv[s.q0 + s.t * C3 + d] += acc * p.scale;
  }
  if (lid == 0u) { delta[r] = D; }
}

// For key j = t of the workgroup's (b, h, t): dk_j += scale * sum_{i>=j} dS_ij q_i and
// dv_j += sum_{i>=j} P_ij dout_i, each channel summed by one invocation in query order.
@compute @workgroup_size(WG)
fn backward_columns(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                    @builtin(local_invocation_index) lid: u32) {
  let r = row_index(wid, nwg);
  if (r >= p.rows) { return; }
  let s = site(r);
  let j = s.t;
  for (var i = j + lid; i < p.T; i += WG) {
    let P = prob(s, i, j);
    row[i] = P;
    drow[i] = P * (dprob(s, i, j) - delta[s.l0 + i]);
  }
  workgroupBarrier();
  let C3 = 3u * p.C;
  for (var d = lid; d < p.hs; d += WG) {
    var dk = 0.0;
    var dv = 0.0;
    for (var i = j; i < p.T; i++) {
      dk += drow[i] * qkv[s.q0 + i * C3 + d];
      dv += row[i] * dout[s.o0 + i * p.C + d];
    }
    dqkv[s.k0 + j * C3 + d] += dk * p.scale;
    dqkv[s.v0 + j * C3 + d] += dv;
  }
}
