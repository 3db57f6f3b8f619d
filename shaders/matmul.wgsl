// Batched matmul: out[b] (M,N) = op(A[b]) (M,K) . op(B[b]) (K,N) [+ bias (N)] [+ out[b]]
// [+ res[b]] [* gelu'(pre[b])], [and act[b] = gelu(out[b])].
// op is identity or transpose, chosen by override constants so each variant is its own pipeline
// and the inner loop carries no branches. A workgroup computes a BM x BN tile of out
// (BM = RM WG_Y, BN = CN WG_X); each invocation keeps an RM x CN block of sums in registers.
// Tiles of op(A) and op(B), TK deep, are staged k-major in workgroup memory, so each k step
// reads RM scalars of A and one vec4 of B for 4 RM multiply-adds. Each output is one running
// sum over k in index order (no split-K, no atomics): the same inputs give bit-identical outputs.
//
// Bindings (binding 0 is the uniform p; the strides step between batch items, z = workgroup_id.z):
//   1 out  (batch,M,N)  read_write  overwritten, or added to when ACCUMULATE
//   2 a    (batch,M,K)  read        stored (batch,K,M) when TRANS_A
//   3 b    (batch,K,N)  read        stored (batch,N,K) when TRANS_B
//   4 bias (N)          read        read only when HAS_BIAS; the launcher binds `a` there otherwise
//   5 res  (batch,M,N)  read        only with matmul_residual.wgsl: out = product + bias + res
//   5 act  (batch,M,N)  read_write  only with matmul_gelu.wgsl: act = gelu(out)
//   5 pre  (batch,M,N)  read        only with matmul_gelu_grad.wgsl: out = product * gelu'(pre)
// The launcher appends one epilogue snippet, `fn epilogue(o, v) -> f32`, applied to each output
// v at index o as it is stored: matmul_plain.wgsl (v itself), matmul_residual.wgsl (v + res[o],
// a residual connection added in the same pass instead of a kernel of its own) or
// matmul_gelu.wgsl (v, and gelu(v) into act) or matmul_gelu_grad.wgsl (v gelu'(pre[o])).
// src/kernels/matmul.ts picks the entry point per adapter (matmulPath): matmul_direct on
// SwiftShader or a fallback adapter, matmul (staged) on GPUs, and sets the sizes below to match.

struct Params { M: u32, N: u32, K: u32, stride_a: u32, stride_b: u32, stride_out: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

override TRANS_A: bool = false; // A stored (K,M) instead of (M,K)
override TRANS_B: bool = false; // B stored (N,K) instead of (K,N)
override HAS_BIAS: bool = false;
override ACCUMULATE: bool = false; // out += product (gradients), instead of out = product
// Sizes from the launcher's TILING. staged: 16 x 16 = 256 invocations, the most WebGPU
// guarantees, each 4 x 4 outputs, so a 64 x 64 tile of out per workgroup; TK = 16 keeps
// a_tile (16 * 64 f32) + b_tile (16 * 16 vec4f) at 8 KiB, half the guaranteed 16 KiB of workgroup
// memory. direct: 8 x 8 = 64 invocations of 8 x 8 outputs, again a 64 x 64 tile, no workgroup
// memory; the fastest on SwiftShader (src/bench/tune.ts).
// Grid: (ceil(N / BN), ceil(M / BM), batch), one workgroup per tile of out per batch item.
override WG_X: u32 = 16;
override WG_Y: u32 = 16;
override TK: u32 = 16;
override RM: u32 = 4; // rows of out per invocation (staged: 1 to 4; direct: 8)
override CN: u32 = 4; // columns of out per invocation (staged: 4, as one vec4; direct: 8)

override BM: u32 = RM * WG_Y;
override BN: u32 = CN * WG_X;

// a_tile[k][m] and b_tile[k][n], k-major: the k-th step reads RM scalars of a_tile and one vec4
// of b_tile.
var<workgroup> a_tile: array<f32, TK * BM>;
var<workgroup> b_tile: array<vec4f, TK * WG_X>;

// op(A)[m][k] of batch item `base`, or 0 outside the matrix (tile edges).
fn load_a(base: u32, m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
  if (TRANS_A) { return a[base + k * p.M + m]; }
  return a[base + m * p.K + k];
}

// op(B)[k][n] of batch item `base`, or 0 outside the matrix.
fn load_b(base: u32, k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) { return 0.0; }
  if (TRANS_B) { return b[base + n * p.K + k]; }
  return b[base + k * p.N + n];
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
          @builtin(local_invocation_index) li: u32) {
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let base_a = wid.z * p.stride_a;
  let base_b = wid.z * p.stride_b;
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    // Consecutive invocations load consecutive addresses of the stored layout.
    for (var e = li; e < BM * TK; e += WG_X * WG_Y) {
      var m: u32;
      var k: u32;
      if (TRANS_A) { k = e / BM; m = e % BM; } else { m = e / TK; k = e % TK; }
      a_tile[k * BM + m] = load_a(base_a, m0 + m, k0 + k);
    }
    for (var e = li; e < BN * TK; e += WG_X * WG_Y) {
      var n: u32;
      var k: u32;
      if (TRANS_B) { n = e / TK; k = e % TK; } else { k = e / BN; n = e % BN; }
      b_tile[k * WG_X + n / 4u][n % 4u] = load_b(base_b, k0 + k, n0 + n);
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let bv = b_tile[k * WG_X + lid.x];
      for (var i = 0u; i < RM; i++) { acc[i] += a_tile[k * BM + lid.y * RM + i] * bv; }
    }
    workgroupBarrier();
  }
  store(acc, RM, wid.z, wid.y * BM + lid.y * RM, wid.x * BN + lid.x * 4u);
}

// out[z][m0 + i][n0 + j] = epilogue(acc[i][j] [+ bias] [+ out]) for i < rows, inside the matrix.
fn store(acc: array<vec4f, 4>, rows: u32, z: u32, m0: u32, n0: u32) {
  let base_out = z * p.stride_out;
  for (var i = 0u; i < rows; i++) {
    let m = m0 + i;
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + j;
      if (m < p.M && n < p.N) {
        let o = base_out + m * p.N + n;
        var v = acc[i][j];
        if (HAS_BIAS) { v += bias[n]; }
        if (ACCUMULATE) { v += out[o]; }
        out[o] = epilogue(o, v);
      }
    }
  }
}

// The same product without workgroup memory: each invocation reads its 8 rows of op(A) and
// 8 columns of op(B) straight from storage. On a CPU adapter (SwiftShader) the caches serve the
// reuse, and skipping the staging copies and barriers measured 1.5-2x faster; GPUs want the
// staged kernel above. The 8 x 8 block is fixed (RM = 8, CN = 8) and held in named variables:
// SwiftShader keeps an array indexed in a loop in memory (unrolling a 4 x 4 block measured
// 3-3.8x faster). Each k step does 64 multiply-adds per 16 loads; 4 x 4 did 16 per 8, and 4 x 8
// and then 8 x 8 each measured another 1.25-1.4x (src/bench/tune.ts). Rows and columns past the
// edge are clamped to the last one: their sums are computed but never stored, so the k loop
// needs no bounds checks.
@compute @workgroup_size(WG_X, WG_Y)
fn matmul_direct(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m0 = wid.y * BM + lid.y * RM;
  let n0 = wid.x * BN + lid.x * CN;
  // Where each row of op(A) and column of op(B) starts, and the step from k to k + 1.
  let step_a = select(1u, p.M, TRANS_A);
  let step_b = select(p.N, 1u, TRANS_B);
  let z_a = wid.z * p.stride_a;
  let z_b = wid.z * p.stride_b;
  let r0 = z_a + row_start(m0, 0u);
  let r1 = z_a + row_start(m0, 1u);
  let r2 = z_a + row_start(m0, 2u);
  let r3 = z_a + row_start(m0, 3u);
  let r4 = z_a + row_start(m0, 4u);
  let r5 = z_a + row_start(m0, 5u);
  let r6 = z_a + row_start(m0, 6u);
  let r7 = z_a + row_start(m0, 7u);
  let c0 = z_b + col_start(n0, 0u);
  let c1 = z_b + col_start(n0, 1u);
  let c2 = z_b + col_start(n0, 2u);
  let c3 = z_b + col_start(n0, 3u);
  let c4 = z_b + col_start(n0, 4u);
  let c5 = z_b + col_start(n0, 5u);
  let c6 = z_b + col_start(n0, 6u);
  let c7 = z_b + col_start(n0, 7u);
  // acc0..7 hold columns n0..n0+3 of rows m0..m0+7, acc8..15 columns n0+4..n0+7.
  var acc0 = vec4f();
  var acc1 = vec4f();
  var acc2 = vec4f();
  var acc3 = vec4f();
  var acc4 = vec4f();
  var acc5 = vec4f();
  var acc6 = vec4f();
  var acc7 = vec4f();
  var acc8 = vec4f();
  var acc9 = vec4f();
  var acc10 = vec4f();
  var acc11 = vec4f();
  var acc12 = vec4f();
  var acc13 = vec4f();
  var acc14 = vec4f();
  var acc15 = vec4f();
  for (var k = 0u; k < p.K; k++) {
    let kb = k * step_b;
    let ka = k * step_a;
    let bv = vec4f(b[c0 + kb], b[c1 + kb], b[c2 + kb], b[c3 + kb]);
    let bw = vec4f(b[c4 + kb], b[c5 + kb], b[c6 + kb], b[c7 + kb]);
    let x0 = a[r0 + ka];
    let x1 = a[r1 + ka];
    let x2 = a[r2 + ka];
    let x3 = a[r3 + ka];
    let x4 = a[r4 + ka];
    let x5 = a[r5 + ka];
    let x6 = a[r6 + ka];
    let x7 = a[r7 + ka];
    acc0 += x0 * bv;
    acc1 += x1 * bv;
    acc2 += x2 * bv;
    acc3 += x3 * bv;
    acc4 += x4 * bv;
    acc5 += x5 * bv;
    acc6 += x6 * bv;
    acc7 += x7 * bv;
    acc8 += x0 * bw;
    acc9 += x1 * bw;
    acc10 += x2 * bw;
    acc11 += x3 * bw;
    acc12 += x4 * bw;
    acc13 += x5 * bw;
    acc14 += x6 * bw;
    acc15 += x7 * bw;
  }
  store(array(acc0, acc1, acc2, acc3), 4u, wid.z, m0, n0);
  store(array(acc4, acc5, acc6, acc7), 4u, wid.z, m0 + 4u, n0);
  store(array(acc8, acc9, acc10, acc11), 4u, wid.z, m0, n0 + 4u);
  store(array(acc12, acc13, acc14, acc15), 4u, wid.z, m0 + 4u, n0 + 4u);
}

// Offset of op(A)'s row m0 + i within a batch item, clamped to the last row.
fn row_start(m0: u32, i: u32) -> u32 {
  let m = min(m0 + i, p.M - 1u);
  return select(m * p.K, m, TRANS_A);
}

// Offset of op(B)'s column n0 + j within a batch item, clamped to the last column.
fn col_start(n0: u32, j: u32) -> u32 {
  let n = min(n0 + j, p.N - 1u);
  return select(n, n * p.K, TRANS_B);
}
