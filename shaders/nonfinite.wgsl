// Non-finite flags: flags[i] = 1 if any element of range i of data is NaN or infinite, else 0.
// Ranges are (offset, length) pairs in elements. One workgroup per range; the data is read as
// bits (exponent all ones), since WGSL lets a compiler assume floats are finite and fold a
// float test such as x != x away. The OR of flags is order-free, so the result is deterministic.

struct Params { ranges: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> flags: array<u32>;
@group(0) @binding(2) var<storage, read> data: array<u32>;
@group(0) @binding(3) var<storage, read> ranges: array<u32>;

override WG: u32 = 64;

var<workgroup> found: atomic<u32>;

const EXPONENT = 0x7f800000u;

// flags (ranges) = [range i of data holds a NaN or an infinity]
@compute @workgroup_size(WG)
fn nonfinite(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x;
  if (r >= p.ranges) { return; }
  let offset = ranges[2u * r];
  let length = ranges[2u * r + 1u];
  var bad = 0u;
  for (var i = lid; i < length; i += WG) {
    if ((data[offset + i] & EXPONENT) == EXPONENT) { bad = 1u; }
  }
  if (bad != 0u) { atomicOr(&found, 1u); }
  workgroupBarrier();
  if (lid == 0u) { flags[r] = atomicLoad(&found); }
}
