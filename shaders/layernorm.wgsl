// LayerNorm over the last dimension (GPT-2's ln_1, ln_2, ln_f), forward and backward.
// Every reduction is a fixed tree: each of the lanes sharing a row (or a column) sums its strided
// elements in index order, then the lanes' partial sums are halved log2(lanes) times in workgroup
// memory. No atomics, so the results are bit-identical from run to run.

struct Params { N: u32, C: u32, eps: f32 }

// Each entry point binds six storage buffers, 1..6 in its launcher's order. The three share
// inp, mean and rstd; bindings 4..6 hold what differs (entry point: 4, 5, 6):
//   forward          bias, weight,  out
//   backward_input   dout, weight,  dinp
//   backward_params  dout, dweight, dbias
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> inp: array<f32>;
@group(0) @binding(2) var<storage, read_write> mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> dout: array<f32>;
@group(0) @binding(5) var<storage, read> weight: array<f32>;
@group(0) @binding(5) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> dinp: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbias: array<f32>;

// 256 invocations, the most WebGPU guarantees: a workgroup serves 256 / ROW_LANES rows (or
// 256 / COL_LANES columns), so even C = 768 with 32 lanes a row fills 8 rows per workgroup.
// partial holds one vec2f per invocation, 2 KiB of the 16 KiB of workgroup memory.
override WG: u32 = 256;
// Row kernels: ROW_LANES invocations share a row (a power of two dividing WG), so a workgroup
// holds WG / ROW_LANES rows. Few lanes for small C: every tree level costs a workgroup barrier,
// and on a CPU driver (SwiftShader) barriers, not arithmetic, set the time.
override ROW_LANES: u32 = 32;
// backward_params: COL_LANES invocations share a column's rows; WG / COL_LANES adjacent columns
// per workgroup, so the lanes of one row read a contiguous run of dout and inp.
override COL_LANES: u32 = 8;

var<workgroup> partial: array<vec2f, WG>;

// Sum of v over the `lanes` invocations lid - lane * stride + k * stride, k < lanes, by a fixed
// tree; all of them get the total. Called by every invocation of the workgroup (barriers).
fn lane_sum(lid: u32, lane: u32, lanes: u32, stride: u32, v: vec2f) -> vec2f {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = lanes / 2u; s > 0u; s >>= 1u) {
    if (lane < s) { partial[lid] += partial[lid + s * stride]; }
    workgroupBarrier();
  }
  let total = partial[lid - lane * stride];
  // Nobody may overwrite partial for the next sum before everyone has read this one.
  workgroupBarrier();
  return total;
}

struct RowSlot { row: u32, lane: u32, live: bool }

// Which row and lane an invocation of a row kernel serves; rows past N idle through the barriers.
fn row_slot(wid: vec3u, nwg: vec3u, lid: u32) -> RowSlot {
  let row = (wid.x + wid.y * nwg.x) * (WG / ROW_LANES) + lid / ROW_LANES;
  return RowSlot(row, lid % ROW_LANES, row < p.N);
}

// out (N,C), mean (N), rstd (N) = (inp - mean) * rstd * weight (C) + bias (C)
@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let slot = row_slot(wid, nwg, lid);
  let len = select(0u, p.C, slot.live); // rows past N sum nothing
  let base = slot.row * p.C;
  var s = 0.0;
  for (var i = slot.lane; i < len; i += ROW_LANES) { s += inp[base + i]; }
  let m = lane_sum(lid, slot.lane, ROW_LANES, 1u, vec2f(s, 0.0)).x / f32(p.C);
  // Two passes: squared deviations from the mean, not E[x^2] - m^2, which cancels when |m| >> std.
  var q = 0.0;
  for (var i = slot.lane; i < len; i += ROW_LANES) {
    let d = inp[base + i] - m;
    q += d * d;
  }
  let r = inverseSqrt(lane_sum(lid, slot.lane, ROW_LANES, 1u, vec2f(q, 0.0)).x / f32(p.C) + p.eps);
  for (var i = slot.lane; i < len; i += ROW_LANES) {
    out[base + i] = (inp[base + i] - m) * r * weight[i] + bias[i];
  }
  if (slot.live && slot.lane == 0u) {
    mean[slot.row] = m;
    rstd[slot.row] = r;
  }
}

// dinp (N,C) += rstd * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat)), dnorm = dout * weight
@compute @workgroup_size(WG)
fn backward_input(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                  @builtin(local_invocation_index) lid: u32) {
  let slot = row_slot(wid, nwg, lid);
  let len = select(0u, p.C, slot.live); // rows past N sum nothing
  let base = slot.row * p.C;
  var m = 0.0;
  var r = 0.0;
  if (slot.live) {
    m = mean[slot.row];
    r = rstd[slot.row];
  }
  var s = vec2f(0.0);
  for (var i = slot.lane; i < len; i += ROW_LANES) {
    let dnorm = weight[i] * dout[base + i];
    let xhat = (inp[base + i] - m) * r;
    s += vec2f(dnorm, dnorm * xhat);
  }
  let t = lane_sum(lid, slot.lane, ROW_LANES, 1u, s) / f32(p.C);
  for (var i = slot.lane; i < len; i += ROW_LANES) {
    let dnorm = weight[i] * dout[base + i];
    let xhat = (inp[base + i] - m) * r;
    dinp[base + i] += r * (dnorm - t.x - xhat * t.y);
  }
}

// dweight (C) += sum_n dout * xhat, dbias (C) += sum_n dout: column sums over the N rows
@compute @workgroup_size(WG)
fn backward_params(@builtin(workgroup_id) wid: vec3u,
                   @builtin(local_invocation_index) lid: u32) {
  let cols = WG / COL_LANES;
  let col = wid.x * cols + lid % cols;
  let lane = lid / cols;
  var s = vec2f(0.0);
  if (col < p.C) {
    for (var n = lane; n < p.N; n += COL_LANES) {
      let g = dout[n * p.C + col];
      s += vec2f(g * ((inp[n * p.C + col] - mean[n]) * rstd[n]), g);
    }
  }
  let total = lane_sum(lid, lane, COL_LANES, cols, s);
  if (lane == 0u && col < p.C) {
    dweight[col] += total.x;
    dbias[col] += total.y;
  }
}
