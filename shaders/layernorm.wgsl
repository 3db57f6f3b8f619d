// LayerNorm over the last dimension (GPT-2's ln_1, ln_2, ln_f), forward and backward.
// Every reduction is a fixed tree: each invocation sums its strided elements in index order, then
// the workgroup halves the partial sums log2(size) times. No atomics, so the results are
// bit-identical from run to run.

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

// Invocations per row: a power of two, at most C rounded up, so small rows waste little.
override WG: u32 = 256;
// backward_params: COLS adjacent columns per workgroup (coalesced reads of a row), each column's
// rows split over LANES invocations; both powers of two.
override COLS: u32 = 32;
override LANES: u32 = 8;

var<workgroup> partial: array<vec2f, WG>;
var<workgroup> colPartial: array<vec2f, COLS * LANES>;

// Sum of v over the workgroup (a fixed tree); every invocation gets the total.
fn rowSum(lid: u32, v: vec2f) -> vec2f {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  let total = partial[0];
  // Nobody may overwrite partial for the next sum before everyone has read this one.
  workgroupBarrier();
  return total;
}

// out (N,C), mean (N), rstd (N) = (inp - mean) * rstd * weight (C) + bias (C); one workgroup a row
@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.N) { return; }
  let base = row * p.C;
  let c = f32(p.C);
  var s = 0.0;
  for (var i = lid; i < p.C; i += WG) { s += inp[base + i]; }
  let m = rowSum(lid, vec2f(s, 0.0)).x / c;
  // Two passes: squared deviations from the mean, not E[x^2] - m^2, which cancels when |m| >> std.
  var q = 0.0;
  for (var i = lid; i < p.C; i += WG) {
    let d = inp[base + i] - m;
    q += d * d;
  }
  let r = inverseSqrt(rowSum(lid, vec2f(q, 0.0)).x / c + p.eps);
  for (var i = lid; i < p.C; i += WG) {
    out[base + i] = (inp[base + i] - m) * r * weight[i] + bias[i];
  }
  if (lid == 0u) {
    mean[row] = m;
    rstd[row] = r;
  }
}

// dinp (N,C) += rstd * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat)), dnorm = dout * weight
@compute @workgroup_size(WG)
fn backward_input(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                  @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.N) { return; }
  let base = row * p.C;
  let m = mean[row];
  let r = rstd[row];
  var s = vec2f(0.0);
  for (var i = lid; i < p.C; i += WG) {
    let dnorm = weight[i] * dout[base + i];
    let xhat = (inp[base + i] - m) * r;
    s += vec2f(dnorm, dnorm * xhat);
  }
  let t = rowSum(lid, s) / f32(p.C);
  for (var i = lid; i < p.C; i += WG) {
    let dnorm = weight[i] * dout[base + i];
    let xhat = (inp[base + i] - m) * r;
    dinp[base + i] += r * (dnorm - t.x - xhat * t.y);
  }
}

// dweight (C) += sum_n dout * xhat, dbias (C) += sum_n dout: column sums over the N rows
@compute @workgroup_size(COLS * LANES)
fn backward_params(@builtin(workgroup_id) wid: vec3u,
                   @builtin(local_invocation_index) lid: u32) {
  let col = wid.x * COLS + lid % COLS;
  let lane = lid / COLS;
  var s = vec2f(0.0);
  if (col < p.C) {
    for (var n = lane; n < p.N; n += LANES) {
      let g = dout[n * p.C + col];
      s += vec2f(g * ((inp[n * p.C + col] - mean[n]) * rstd[n]), g);
    }
  }
  colPartial[lid] = s;
  workgroupBarrier();
  for (var k = LANES / 2u; k > 0u; k >>= 1u) {
    if (lane < k) { colPartial[lid] += colPartial[lid + k * COLS]; }
    workgroupBarrier();
  }
  if (lane == 0u && col < p.C) {
    dweight[col] += colPartial[lid].x;
    dbias[col] += colPartial[lid].y;
  }
}
