// Shared by lora_rite_split.wgsl and lora_rite.wgsl (prepended by src/optim/loraRite.ts): the
// parallel ordering of Jacobi's column pairs. A sweep over n (even) indices is n - 1 rounds of
// n / 2 disjoint pairs (the circle method), meeting every pair once; rotations of disjoint pairs
// commute, so a round is one parallel step between two barriers instead of n / 2 serial ones.

// pair p (i < j) of round `turn` of a sweep over n indices; an odd size pads itself with index
// n - 1, whose pairs the caller skips
fn round_pair(turn: u32, p: u32, n: u32) -> vec2u {
  let m = n - 1u;
  if (p == 0u) { return vec2u(turn, m); }
  // (turn + p) mod m and (turn - p) mod m for turn, p < m, without an integer division
  let a = turn + p - select(0u, m, turn + p >= m);
  let b = turn + m - p - select(0u, m, turn >= p);
  return vec2u(min(a, b), max(a, b));
}

// (c, s) of the rotation that diagonalises [[app, apq], [apq, aqq]] (as the reference's
// jacobiRotation): columns p, q become c x_p - s x_q and s x_p + c x_q
fn jacobi_rotation(app: f32, aqq: f32, apq: f32) -> vec2f {
  let zeta = (aqq - app) / (2.0 * apq);
  let t = select(-1.0, 1.0, zeta >= 0.0) / (abs(zeta) + sqrt(1.0 + zeta * zeta));
  let c = 1.0 / sqrt(1.0 + t * t);
  return vec2f(c, c * t);
}

// The stopping test of a sweep, the same in every workgroup invocation: did any of them rotate?
// (WG is the including shader's workgroup size.)
var<workgroup> moved: array<u32, WG>; // each invocation's 1 if it rotated in this sweep
var<workgroup> more: u32;

fn any_rotated(lid: u32, rotated: u32) -> bool {
  moved[lid] = rotated;
  workgroupBarrier();
  if (lid == 0u) {
    var some = 0u;
    for (var l = 0u; l < WG; l++) { some |= moved[l]; }
    more = some;
  }
  return workgroupUniformLoad(&more) != 0u;
}
