// Cross-entropy of logits against u32 targets, fused with its gradient as in llm.c: one
// workgroup per row, max and sum of exp by a fixed tree in workgroup memory, each invocation
// looping the vocabulary at a stride of WG so it only ever touches its own logits (the in-place
// gradient write then needs no storage barrier). A target of IGNORE (padding, masked prompt)
// gives loss 0 and gradient 0.
//
// Entry points bind different variables at the same binding numbers: WGSL allows it as long as
// no one entry point uses both.
//
// Bindings (binding 0 is the uniform p):
//   entry point                   1            2             3               4
//   forward, forward_backward     losses (N)   targets (N)   logits (N,V)
//   sequence_loss                 losses (B,T) targets (B,T) seq_loss (B)    mean_loss (1)
// (forward_backward overwrites logits with dlogits.)

// rows, cols: (N, V) for the cross-entropy entry points, (B, T) for sequence_loss.
struct Params { rows: u32, cols: u32, dloss_scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;

const IGNORE: u32 = 0xffffffffu;
// Below every finite f32, so the first logit of a row always wins the max.
const NEG_MAX: f32 = -0x1.fffffep+127f;

override WG: u32 = 256; // a power of two: the trees halve it (see crossentropyWorkgroupSize)

var<workgroup> red: array<f32, WG>;

fn row_index(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// Tree sum or max of red[0..WG) into red[0]; all invocations return with red[0] visible.
fn tree_reduce(lid: u32, is_max: bool) {
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lid < s) {
      if (is_max) { red[lid] = max(red[lid], red[lid + s]); }
      else { red[lid] = red[lid] + red[lid + s]; }
    }
  }
  workgroupBarrier();
}

@group(0) @binding(1) var<storage, read_write> losses: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> logits: array<f32>;

struct RowStats { max: f32, sum: f32 }

// max and sum of exp(logit - max) over row `row`, identical in every invocation.
fn row_stats(row: u32, lid: u32) -> RowStats {
  let base = row * p.cols;
  var m = NEG_MAX;
  for (var v = lid; v < p.cols; v += WG) { m = max(m, logits[base + v]); }
  red[lid] = m;
  tree_reduce(lid, true);
  let row_max = red[0];
  workgroupBarrier(); // everyone has read red[0] before it is reused for the sum
  var s = 0.0;
  for (var v = lid; v < p.cols; v += WG) { s += exp(logits[base + v] - row_max); }
  red[lid] = s;
  tree_reduce(lid, false);
  return RowStats(row_max, red[0]);
}

// The invocation that owns the target's logit writes the row's loss (lid 0 for an ignored row),
// reading the logit before it overwrites it with its gradient.
fn write_loss(row: u32, lid: u32, stats: RowStats) {
  let t = targets[row];
  if (t == IGNORE) {
    if (lid == 0u) { losses[row] = 0.0; }
  } else if (lid == t % WG) {
    losses[row] = log(stats.sum) - (logits[row * p.cols + t] - stats.max);
  }
}

// losses (N) = -log softmax(logits (N,V))[targets (N)]
@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg);
  if (row >= p.rows) { return; }
  write_loss(row, lid, row_stats(row, lid));
}

// losses (N) as forward; logits (N,V) <- (softmax - onehot(target)) * dloss_scale, in place
@compute @workgroup_size(WG)
fn forward_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                    @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg);
  if (row >= p.rows) { return; }
  let stats = row_stats(row, lid);
  write_loss(row, lid, stats);
  let t = targets[row];
  let base = row * p.cols;
  let inv_sum = 1.0 / stats.sum;
  for (var v = lid; v < p.cols; v += WG) {
    var g = 0.0;
    if (t != IGNORE) {
      let prob = exp(logits[base + v] - stats.max) * inv_sum;
      g = (prob - select(0.0, 1.0, v == t)) * p.dloss_scale;
    }
    logits[base + v] = g;
  }
}

@group(0) @binding(3) var<storage, read_write> seq_loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> mean_loss: array<f32>;
var<workgroup> red_count: array<u32, WG>;

// seq_loss (B) = mean of losses (B,T) over each sequence's non-ignored targets (B,T);
// mean_loss (1) = mean over all of them (0 where nothing is counted). One workgroup: each
// sequence by a stride loop and a tree, then the sequences' sums added in order of b.
@compute @workgroup_size(WG)
fn sequence_loss(@builtin(local_invocation_index) lid: u32) {
  var total = 0.0;
  var total_count = 0u;
  for (var b = 0u; b < p.rows; b++) {
    var s = 0.0;
    var n = 0u;
    for (var t = lid; t < p.cols; t += WG) {
      if (targets[b * p.cols + t] != IGNORE) {
        s += losses[b * p.cols + t];
        n += 1u;
      }
    }
    red[lid] = s;
    red_count[lid] = n;
    for (var k = WG / 2u; k > 0u; k = k / 2u) {
      workgroupBarrier();
      if (lid < k) {
        red[lid] = red[lid] + red[lid + k];
        red_count[lid] = red_count[lid] + red_count[lid + k];
      }
    }
    workgroupBarrier();
    if (lid == 0u) {
      let count = red_count[0];
      seq_loss[b] = select(0.0, red[0] / f32(count), count > 0u);
      total += red[0];
      total_count += count;
    }
    workgroupBarrier(); // red is rewritten by the next sequence
  }
  if (lid == 0u) { mean_loss[0] = select(0.0, total / f32(total_count), total_count > 0u); }
}
