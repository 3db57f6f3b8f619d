// Causal multi-head self-attention over llm.c's qkv (B,T,3C), flash style (FlashAttention 2):
// q, k, v sit side by side on the channel axis, head h owning channels [h*hs, (h+1)*hs) of each.
// The (T,T) score matrix is never written to memory: forward keeps a running max and sum per
// query (online softmax) and saves each row's log-sum-exp; backward rebuilds the probabilities.
//
// Bindings (binding 0 is the uniform p; the launcher passes storage buffers in this order):
//   entry point    1             2             3             4            5              6
//   forward        out (B,T,C)   lse (B,NH,T)  qkv (B,T,3C)
//   backward_dq    dqkv (B,T,3C) lse           qkv           dout (B,T,C) delta (B,NH,T) out
//   backward_dkv   dqkv          lse           qkv           dout         delta
//
// Work split: one workgroup of WG invocations per (b, h, tile of ROWS positions): queries in
// forward and backward_dq, keys in backward_dkv. The other side is visited STAGE positions at a
// time (stages and 4 x 4 blocks wholly above the causal diagonal are skipped): the stage's scores (or
// probabilities and their gradients) go to workgroup memory, and each invocation owns a fixed
// 4-position x 4-channel block of the tile's output (o, dq, or dk and dv), summed over the stage
// in position order. Every sum has one owner and a fixed order: bit-identical reruns, no
// atomics, no two workgroups write the same gradient.
//
// Why 4 x 4 blocks in named variables, not one invocation per row holding a head vector: a CPU
// adapter (SwiftShader) keeps any array indexed in a loop in memory, so a per-row vector costs
// loads and stores per multiply-add; a block held in vec4s does 16 multiply-adds per 8 loads,
// as matmul_direct does. Rows and channels past the edge are clamped when read and never stored.

struct Params { T: u32, C: u32, NH: u32, hs: u32, tiles: u32, units: u32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;

// WG invocations: each owns one 4 x 4 output block, and ROWS / 4 * ceil(hs / 4) <= WG of them
// cover the tile; one per row of the tile keeps its softmax statistics, so ROWS <= WG too;
// scores are 4 x 4 blocks, WG at a time. The launcher picks WG and ROWS per adapter (64 on a
// GPU; on a CPU adapter just enough for one 4-row tile, as workgroup memory and invocations
// there cost time per workgroup).
override WG: u32 = 64;
// Positions per tile (a multiple of 4, <= 64) and per stage (a multiple of 4).
override ROWS: u32 = 64;
override STAGE: u32 = 32;
// ceil(hs / 4): the channel blocks of a head.
override HS4: u32 = 4;

const F32_LOWEST = -0x1.fffffep+127f;

// The stage's (ROWS, STAGE) scores, four positions to a vec4: probabilities, or in backward
// dS (and P for dk/dv). Row r's positions 4 c .. 4 c + 3 sit at [r * STAGE / 4 + c].
var<workgroup> tile_p: array<vec4f, ROWS * STAGE / 4>;
var<workgroup> tile_ds: array<vec4f, ROWS * STAGE / 4>;
// Per row of the tile: forward's rescale factor and running sum; backward_dq's lse and D.
var<workgroup> row_a: array<f32, ROWS>;
var<workgroup> row_b: array<f32, ROWS>;

@group(0) @binding(2) var<storage, read_write> lse: array<f32>;
@group(0) @binding(3) var<storage, read> qkv: array<f32>;

// A workgroup's tile: its (b, h) offsets of position 0 in qkv (q0, k0, v0; position t adds
// t * 3C), in out and dout (o0; t adds t * C) and in lse and delta (l0; t adds t), and its
// first position.
struct Tile { q0: u32, k0: u32, v0: u32, o0: u32, l0: u32, first: u32 }

fn tile_of(unit: u32) -> Tile {
  let bh = unit / p.tiles;
  let h = bh % p.NH;
  let b = bh / p.NH;
  let q0 = b * p.T * 3u * p.C + h * p.hs;
  let first = (unit % p.tiles) * ROWS;
  return Tile(q0, q0 + p.C, q0 + 2u * p.C, b * p.T * p.C + h * p.hs, bh * p.T, first);
}

// Positions t .. t + 3, clamped to the last one (their results are masked or never stored).
fn four(t: u32) -> vec4u {
  return min(vec4u(t) + vec4u(0u, 1u, 2u, 3u), vec4u(p.T - 1u));
}

// Which of keys j .. j + 3 query i sees: j + c <= i < T.
fn visible(i: u32, j: u32) -> vec4<bool> {
  return (vec4u(j) + vec4u(0u, 1u, 2u, 3u) <= vec4u(i)) & vec4<bool>(i < p.T);
}

// x_r . y_c for 4 head vectors x of qkv at offsets xs and 4 y at ys, summed in channel order:
// column r of the result holds row r's four dot products (every entry point rounds a score alike).
fn qkv_dots(xs: vec4u, ys: vec4u) -> mat4x4f {
  var a0 = vec4f();
  var a1 = vec4f();
  var a2 = vec4f();
  var a3 = vec4f();
  for (var d = 0u; d < p.hs; d++) {
    let y = vec4f(qkv[ys.x + d], qkv[ys.y + d], qkv[ys.z + d], qkv[ys.w + d]);
    a0 += qkv[xs.x + d] * y;
    a1 += qkv[xs.y + d] * y;
    a2 += qkv[xs.z + d] * y;
    a3 += qkv[xs.w + d] * y;
  }
  return mat4x4f(a0, a1, a2, a3);
}

// Channels 4 c4 .. 4 c4 + 3 of the qkv head vector at `base`, clamped to the head.
fn qkv4(base: u32, c4: u32) -> vec4f {
  let d = min(vec4u(4u * c4) + vec4u(0u, 1u, 2u, 3u), vec4u(p.hs - 1u));
  return vec4f(qkv[base + d.x], qkv[base + d.y], qkv[base + d.z], qkv[base + d.w]);
}

// Row block rq and channel block c4 owned by invocation lid, and whether it owns one.
struct Block { rq: u32, c4: u32, owns: bool }

fn block_of(lid: u32) -> Block {
  return Block(lid / HS4, lid % HS4, lid < ROWS / 4u * HS4);
}

// Stage entries a row needs: positions up to n, in vec4s.
fn quads(n: u32) -> u32 {
  return (n + 3u) / 4u;
}

// Of a stage's n4 key quads from key j0, how many queries i .. i + 3 see (j0 + 4 c <= i + 3):
// the rest hold exact zeros (probabilities or their gradients), skipped without changing a sum.
fn seen_quads(i: u32, j0: u32, n4: u32) -> u32 {
  return select(0u, min(n4, (i + 7u - j0) / 4u), i + 3u >= j0);
}

// Of a stage's query quads from query i0, the first in which a query sees one of keys j .. j + 3
// (i0 + 4 c + 3 >= j); the earlier ones hold exact zeros.
fn first_seeing_quad(j: u32, i0: u32) -> u32 {
  return select(0u, (j - i0) / 4u, j >= i0);
}

@group(0) @binding(1) var<storage, read_write> out: array<f32>;

// Row i, channels 4 c4 .. 4 c4 + 3 of a (T, C) output at o0, inside the head and T.
fn store_out(o0: u32, i: u32, c4: u32, x: vec4f) {
  if (i >= p.T) { return; }
  for (var c = 0u; c < 4u; c++) {
    if (4u * c4 + c < p.hs) { out[o0 + i * p.C + 4u * c4 + c] = x[c]; }
  }
}

// out (B,T,C), lse (B,NH,T) = causal softmax(q k^T * scale) v
@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let unit = wid.x + wid.y * nwg.x;
  if (unit >= p.units) { return; }
  let tile = tile_of(unit);
  let C3 = 3u * p.C;
  let S4 = STAGE / 4u;
  let blk = block_of(lid);
  // The running max and sum of row lid of the tile (kept by invocation lid).
  var m = F32_LOWEST;
  var l = 0.0;
  var o0 = vec4f();
  var o1 = vec4f();
  var o2 = vec4f();
  var o3 = vec4f();
  // Keys up to the tile's last query: later ones are masked for every query of the tile.
  let end = min(tile.first + ROWS, p.T);
  for (var j0 = 0u; j0 < end; j0 += STAGE) {
    let n4 = quads(min(STAGE, end - j0));
    // Scaled scores of the stage, 4 x 4 at a time, F32_LOWEST where masked.
    for (var e = lid; e < ROWS / 4u * n4; e += WG) {
      let r0 = 4u * (e / n4);
      let jq = e % n4;
      let i = tile.first + r0;
      let j = j0 + 4u * jq;
      var s = mat4x4f();
      if (j <= i + 3u) { s = qkv_dots(tile.q0 + four(i) * C3, tile.k0 + four(j) * C3) * p.scale; }
      let lowest = vec4f(F32_LOWEST);
      tile_p[r0 * S4 + jq] = select(lowest, s[0], visible(i, j));
      tile_p[(r0 + 1u) * S4 + jq] = select(lowest, s[1], visible(i + 1u, j));
      tile_p[(r0 + 2u) * S4 + jq] = select(lowest, s[2], visible(i + 2u, j));
      tile_p[(r0 + 3u) * S4 + jq] = select(lowest, s[3], visible(i + 3u, j));
    }
    workgroupBarrier();
    // Online softmax of each row: rescale by the new max once per stage; sums in key order.
    if (lid < ROWS) {
      var stage_max = F32_LOWEST;
      for (var c = 0u; c < n4; c++) {
        let x = tile_p[lid * S4 + c];
        stage_max = max(stage_max, max(max(x.x, x.y), max(x.z, x.w)));
      }
      let m_new = max(m, stage_max);
      let alpha = exp(m - m_new);
      var sum = 0.0;
      for (var c = 0u; c < n4; c++) {
        let w = exp(tile_p[lid * S4 + c] - m_new);
        tile_p[lid * S4 + c] = w;
        sum += w.x;
        sum += w.y;
        sum += w.z;
        sum += w.w;
      }
      l = l * alpha + sum;
      m = m_new;
      row_a[lid] = alpha;
      row_b[lid] = l;
    }
    workgroupBarrier();
    if (blk.owns) {
      let r0 = 4u * blk.rq;
      o0 *= row_a[r0];
      o1 *= row_a[r0 + 1u];
      o2 *= row_a[r0 + 2u];
      o3 *= row_a[r0 + 3u];
      for (var c = 0u; c < seen_quads(tile.first + r0, j0, n4); c++) {
        let j = four(j0 + 4u * c) * C3;
        let v0 = qkv4(tile.v0 + j.x, blk.c4);
        let v1 = qkv4(tile.v0 + j.y, blk.c4);
        let v2 = qkv4(tile.v0 + j.z, blk.c4);
        let v3 = qkv4(tile.v0 + j.w, blk.c4);
        let w0 = tile_p[r0 * S4 + c];
        let w1 = tile_p[(r0 + 1u) * S4 + c];
        let w2 = tile_p[(r0 + 2u) * S4 + c];
        let w3 = tile_p[(r0 + 3u) * S4 + c];
        o0 += w0.x * v0;
        o0 += w0.y * v1;
        o0 += w0.z * v2;
        o0 += w0.w * v3;
        o1 += w1.x * v0;
        o1 += w1.y * v1;
        o1 += w1.z * v2;
        o1 += w1.w * v3;
        o2 += w2.x * v0;
        o2 += w2.y * v1;
        o2 += w2.z * v2;
        o2 += w2.w * v3;
        o3 += w3.x * v0;
        o3 += w3.y * v1;
        o3 += w3.z * v2;
        o3 += w3.w * v3;
      }
    }
    workgroupBarrier();
  }
  if (lid < ROWS && tile.first + lid < p.T) { lse[tile.l0 + tile.first + lid] = m + log(l); }
  if (!blk.owns) { return; }
  let r0 = 4u * blk.rq;
  let i = tile.first + r0;
  store_out(tile.o0, i, blk.c4, o0 / row_b[r0]);
  store_out(tile.o0, i + 1u, blk.c4, o1 / row_b[r0 + 1u]);
  store_out(tile.o0, i + 2u, blk.c4, o2 / row_b[r0 + 2u]);
  store_out(tile.o0, i + 3u, blk.c4, o3 / row_b[r0 + 3u]);
}

@group(0) @binding(1) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(4) var<storage, read> dout: array<f32>;
// D_i = rowsum(dout_i * out_i) = rowsum(P * dP): written by backward_dq, read by backward_dkv.
@group(0) @binding(5) var<storage, read_write> delta: array<f32>;
@group(0) @binding(6) var<storage, read> out_saved: array<f32>;

// dout_r . v_c for 4 dout rows at xs and 4 v at ys (qkv), summed in channel order.
fn dout_v_dots(xs: vec4u, ys: vec4u) -> mat4x4f {
  var a0 = vec4f();
  var a1 = vec4f();
  var a2 = vec4f();
  var a3 = vec4f();
  for (var d = 0u; d < p.hs; d++) {
    let y = vec4f(qkv[ys.x + d], qkv[ys.y + d], qkv[ys.z + d], qkv[ys.w + d]);
    a0 += dout[xs.x + d] * y;
    a1 += dout[xs.y + d] * y;
    a2 += dout[xs.z + d] * y;
    a3 += dout[xs.w + d] * y;
  }
  return mat4x4f(a0, a1, a2, a3);
}

fn dout4(base: u32, c4: u32) -> vec4f {
  let d = min(vec4u(4u * c4) + vec4u(0u, 1u, 2u, 3u), vec4u(p.hs - 1u));
  return vec4f(dout[base + d.x], dout[base + d.y], dout[base + d.z], dout[base + d.w]);
}

// Row i (channels 4 c4 .. 4 c4 + 3) of dqkv at part offset x0 += x, inside the head and T.
fn add_grad(x0: u32, i: u32, c4: u32, x: vec4f) {
  if (i >= p.T) { return; }
  for (var c = 0u; c < 4u; c++) {
    if (4u * c4 + c < p.hs) { dqkv[x0 + i * 3u * p.C + 4u * c4 + c] += x[c]; }
  }
}

// For queries i .. i + 3 (columns of the results) and keys j .. j + 3 (components):
// P = exp(scale q.k - lse_i) and dS = P (dout_i . v_j - D_i), zero where j > i or i >= T.
struct Grads { P: mat4x4f, dS: mat4x4f }

fn block_grads(tile: Tile, i: u32, j: u32, L: vec4f, D: vec4f) -> Grads {
  if (j > i + 3u) { return Grads(mat4x4f(), mat4x4f()); }
  let C3 = 3u * p.C;
  let s = qkv_dots(tile.q0 + four(i) * C3, tile.k0 + four(j) * C3) * p.scale;
  let g = dout_v_dots(tile.o0 + four(i) * p.C, tile.v0 + four(j) * C3);
  let zero = vec4f();
  let P = mat4x4f(
    select(zero, exp(s[0] - L.x), visible(i, j)),
    select(zero, exp(s[1] - L.y), visible(i + 1u, j)),
    select(zero, exp(s[2] - L.z), visible(i + 2u, j)),
    select(zero, exp(s[3] - L.w), visible(i + 3u, j)),
  );
  let dS = mat4x4f(P[0] * (g[0] - D.x), P[1] * (g[1] - D.y), P[2] * (g[2] - D.z),
                   P[3] * (g[3] - D.w));
  return Grads(P, dS);
}

// dq_i += scale * sum_j dS_ij k_j, summed in key order; also writes D_i
@compute @workgroup_size(WG)
fn backward_dq(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  let unit = wid.x + wid.y * nwg.x;
  if (unit >= p.units) { return; }
  let tile = tile_of(unit);
  let C3 = 3u * p.C;
  let S4 = STAGE / 4u;
  let blk = block_of(lid);
  let i_own = tile.first + lid;
  if (lid < ROWS && i_own < p.T) {
    var D = 0.0;
    for (var d = 0u; d < p.hs; d++) {
      D += dout[tile.o0 + i_own * p.C + d] * out_saved[tile.o0 + i_own * p.C + d];
    }
    delta[tile.l0 + i_own] = D;
    row_a[lid] = lse[tile.l0 + i_own];
    row_b[lid] = D;
  }
  workgroupBarrier();
  var dq0 = vec4f();
  var dq1 = vec4f();
  var dq2 = vec4f();
  var dq3 = vec4f();
  let end = min(tile.first + ROWS, p.T);
  for (var j0 = 0u; j0 < end; j0 += STAGE) {
    let n4 = quads(min(STAGE, end - j0));
    for (var e = lid; e < ROWS / 4u * n4; e += WG) {
      let r0 = 4u * (e / n4);
      let jq = e % n4;
      let L = vec4f(row_a[r0], row_a[r0 + 1u], row_a[r0 + 2u], row_a[r0 + 3u]);
      let D = vec4f(row_b[r0], row_b[r0 + 1u], row_b[r0 + 2u], row_b[r0 + 3u]);
      let dS = block_grads(tile, tile.first + r0, j0 + 4u * jq, L, D).dS;
      tile_ds[r0 * S4 + jq] = dS[0];
      tile_ds[(r0 + 1u) * S4 + jq] = dS[1];
      tile_ds[(r0 + 2u) * S4 + jq] = dS[2];
      tile_ds[(r0 + 3u) * S4 + jq] = dS[3];
    }
    workgroupBarrier();
    if (blk.owns) {
      let r0 = 4u * blk.rq;
      for (var c = 0u; c < seen_quads(tile.first + r0, j0, n4); c++) {
        let j = four(j0 + 4u * c) * C3;
        let k0 = qkv4(tile.k0 + j.x, blk.c4);
        let k1 = qkv4(tile.k0 + j.y, blk.c4);
        let k2 = qkv4(tile.k0 + j.z, blk.c4);
        let k3 = qkv4(tile.k0 + j.w, blk.c4);
        let w0 = tile_ds[r0 * S4 + c];
        let w1 = tile_ds[(r0 + 1u) * S4 + c];
        let w2 = tile_ds[(r0 + 2u) * S4 + c];
        let w3 = tile_ds[(r0 + 3u) * S4 + c];
        dq0 += w0.x * k0;
        dq0 += w0.y * k1;
        dq0 += w0.z * k2;
        dq0 += w0.w * k3;
        dq1 += w1.x * k0;
        dq1 += w1.y * k1;
        dq1 += w1.z * k2;
        dq1 += w1.w * k3;
        dq2 += w2.x * k0;
        dq2 += w2.y * k1;
        dq2 += w2.z * k2;
        dq2 += w2.w * k3;
        dq3 += w3.x * k0;
        dq3 += w3.y * k1;
        dq3 += w3.z * k2;
        dq3 += w3.w * k3;
      }
    }
    workgroupBarrier();
  }
  if (!blk.owns) { return; }
  let i = tile.first + 4u * blk.rq;
  add_grad(tile.q0, i, blk.c4, dq0 * p.scale);
  add_grad(tile.q0, i + 1u, blk.c4, dq1 * p.scale);
  add_grad(tile.q0, i + 2u, blk.c4, dq2 * p.scale);
  add_grad(tile.q0, i + 3u, blk.c4, dq3 * p.scale);
}

// For key j: dk_j += scale * sum_{i>=j} dS_ij q_i and dv_j += sum_{i>=j} P_ij dout_i, summed in
// query order; queries visited from the tile's first key to T - 1.
@compute @workgroup_size(WG)
fn backward_dkv(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_index) lid: u32) {
  let unit = wid.x + wid.y * nwg.x;
  if (unit >= p.units) { return; }
  let tile = tile_of(unit);
  let C3 = 3u * p.C;
  let S4 = STAGE / 4u;
  let blk = block_of(lid);
  var dk0 = vec4f();
  var dk1 = vec4f();
  var dk2 = vec4f();
  var dk3 = vec4f();
  var dv0 = vec4f();
  var dv1 = vec4f();
  var dv2 = vec4f();
  var dv3 = vec4f();
  for (var i0 = tile.first; i0 < p.T; i0 += STAGE) {
    let n4 = quads(min(STAGE, p.T - i0));
    // Blocks of (4 queries, 4 keys), stored transposed: row = key of the tile, vec4 = queries.
    for (var e = lid; e < ROWS / 4u * n4; e += WG) {
      let r0 = 4u * (e / n4);
      let iq = e % n4;
      let i = four(i0 + 4u * iq);
      let L = vec4f(lse[tile.l0 + i.x], lse[tile.l0 + i.y], lse[tile.l0 + i.z], lse[tile.l0 + i.w]);
      let D = vec4f(delta[tile.l0 + i.x], delta[tile.l0 + i.y], delta[tile.l0 + i.z],
                    delta[tile.l0 + i.w]);
      let gr = block_grads(tile, i0 + 4u * iq, tile.first + r0, L, D);
      let P = transpose(gr.P);
      let dS = transpose(gr.dS);
      tile_p[r0 * S4 + iq] = P[0];
      tile_p[(r0 + 1u) * S4 + iq] = P[1];
      tile_p[(r0 + 2u) * S4 + iq] = P[2];
      tile_p[(r0 + 3u) * S4 + iq] = P[3];
      tile_ds[r0 * S4 + iq] = dS[0];
      tile_ds[(r0 + 1u) * S4 + iq] = dS[1];
      tile_ds[(r0 + 2u) * S4 + iq] = dS[2];
      tile_ds[(r0 + 3u) * S4 + iq] = dS[3];
    }
    workgroupBarrier();
    if (blk.owns) {
      let r0 = 4u * blk.rq;
      for (var c = first_seeing_quad(tile.first + r0, i0); c < n4; c++) {
        let i = four(i0 + 4u * c);
        let q0 = qkv4(tile.q0 + i.x * C3, blk.c4);
        let q1 = qkv4(tile.q0 + i.y * C3, blk.c4);
        let q2 = qkv4(tile.q0 + i.z * C3, blk.c4);
        let q3 = qkv4(tile.q0 + i.w * C3, blk.c4);
        let g0 = dout4(tile.o0 + i.x * p.C, blk.c4);
        let g1 = dout4(tile.o0 + i.y * p.C, blk.c4);
        let g2 = dout4(tile.o0 + i.z * p.C, blk.c4);
        let g3 = dout4(tile.o0 + i.w * p.C, blk.c4);
        let w0 = tile_p[r0 * S4 + c];
        let w1 = tile_p[(r0 + 1u) * S4 + c];
        let w2 = tile_p[(r0 + 2u) * S4 + c];
        let w3 = tile_p[(r0 + 3u) * S4 + c];
        let x0 = tile_ds[r0 * S4 + c];
        let x1 = tile_ds[(r0 + 1u) * S4 + c];
        let x2 = tile_ds[(r0 + 2u) * S4 + c];
        let x3 = tile_ds[(r0 + 3u) * S4 + c];
        dv0 += w0.x * g0;
        dv0 += w0.y * g1;
        dv0 += w0.z * g2;
        dv0 += w0.w * g3;
        dv1 += w1.x * g0;
        dv1 += w1.y * g1;
        dv1 += w1.z * g2;
        dv1 += w1.w * g3;
        dv2 += w2.x * g0;
        dv2 += w2.y * g1;
        dv2 += w2.z * g2;
        dv2 += w2.w * g3;
        dv3 += w3.x * g0;
        dv3 += w3.y * g1;
        dv3 += w3.z * g2;
        dv3 += w3.w * g3;
        dk0 += x0.x * q0;
        dk0 += x0.y * q1;
        dk0 += x0.z * q2;
        dk0 += x0.w * q3;
        dk1 += x1.x * q0;
        dk1 += x1.y * q1;
        dk1 += x1.z * q2;
        dk1 += x1.w * q3;
        dk2 += x2.x * q0;
        dk2 += x2.y * q1;
        dk2 += x2.z * q2;
        dk2 += x2.w * q3;
        dk3 += x3.x * q0;
        dk3 += x3.y * q1;
        dk3 += x3.z * q2;
        dk3 += x3.w * q3;
      }
    }
    workgroupBarrier();
  }
  if (!blk.owns) { return; }
  let j = tile.first + 4u * blk.rq;
  add_grad(tile.k0, j, blk.c4, dk0 * p.scale);
  add_grad(tile.k0, j + 1u, blk.c4, dk1 * p.scale);
  add_grad(tile.k0, j + 2u, blk.c4, dk2 * p.scale);
  add_grad(tile.k0, j + 3u, blk.c4, dk3 * p.scale);
  add_grad(tile.v0, j, blk.c4, dv0);
  add_grad(tile.v0, j + 1u, blk.c4, dv1);
  add_grad(tile.v0, j + 2u, blk.c4, dv2);
  add_grad(tile.v0, j + 3u, blk.c4, dv3);
}
