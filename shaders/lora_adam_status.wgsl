// Non-finite report of a LoRA Adam step, one workgroup per side of a pair (A side 2 i, B side
// 2 i + 1): status[side] = the code of the first quantity, in the order the step computes them,
// holding an infinity or NaN (1 gradient, 3 second moment, 5 first moment, 6 factor; 2 and 4 are
// RITE's), or 0. Each slot has one writer and the codes are folded by a fixed min tree, so the
// report is deterministic. The test is on the bits: WGSL lets compilers assume floats are finite.
// Needs lora_table.wgsl prepended (src/optim/loraAdam.ts).
//
// | binding | buffer | access     | holds                                                 |
// | 0       | p      | uniform    | Params: the pair count                                |
// | 1       | table  | read       | the pair table (lora_table.wgsl; slot offsets unused) |
// | 2       | params | read       | every A and B (loraLayout)                            |
// | 3       | grads  | read       | every dA and dB, same layout                          |
// | 4       | m      | read       | Adam's first moments, same layout                     |
// | 5       | v      | read       | Adam's second moments, same layout                    |
// | 6       | status | read_write | per side, the first non-finite quantity's code        |
//
// Workgroup size WG = 64 (src/optim/loraAdam.ts; a power of two for the min tree): the loop is a
// stride over the side's elements, any adapter. Workgroup memory: first, 4 WG = 256 B.

struct Params {
  pairs: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> params: array<f32>; // every A and B (loraLayout)
@group(0) @binding(3) var<storage, read> grads: array<f32>; // every dA and dB, same layout
@group(0) @binding(4) var<storage, read> m: array<f32>; // first moments, same layout
@group(0) @binding(5) var<storage, read> v: array<f32>; // second moments, same layout
@group(0) @binding(6) var<storage, read_write> status: array<u32>; // (2 pairs)

override WG: u32 = 64; // a power of two: the min tree halves it
const FINITE: u32 = 7u; // above every code

var<workgroup> first: array<u32, WG>;

fn bad(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

// status (2 pairs) from params, grads, m, v (loraLayout) at the offsets in table (6 pairs)
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let side = wid.x;
  if (side >= 2u * p.pairs) { return; }
  let own = lora_side(side);
  let count = own.rows * own.r;
  let offset = own.off;
  var code = FINITE;
  for (var k = lid; k < count; k += WG) {
    let i = offset + k;
    if (bad(params[i])) { code = min(code, 6u); }
    if (bad(m[i])) { code = min(code, 5u); }
    if (bad(v[i])) { code = min(code, 3u); }
    if (bad(grads[i])) { code = min(code, 1u); }
  }
  first[lid] = code;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { first[lid] = min(first[lid], first[lid + stride]); }
    workgroupBarrier();
  }
  if (lid == 0u) { status[side] = select(first[0], 0u, first[0] == FINITE); }
}
