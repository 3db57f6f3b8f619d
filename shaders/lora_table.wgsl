// The per-pair table of the batched LoRA optimizer kernels (src/optim/loraTable.ts), prepended to
// lora_rite_split.wgsl, lora_rite.wgsl and lora_adam_status.wgsl, which all bind it at 1 and run
// one workgroup per side: side s is pair s / 2's A side when s is even, its B side when odd.
// Per pair, TABLE_WORDS = 6 u32:
//   | word | value                                                                    |
//   | 0, 1 | m, n: the rows of A (m, r) and of B (n, r)                               |
//   | 2    | r (1 to 32)                                                              |
//   | 3, 4 | offsets of A and B in floats, in the flat params and grads (loraLayout) |
//   | 5    | offset of the pair's r x r slots: the A side's (r, r) matrix and scalar, |
//   |      | then the B side's (2 (r^2 + 1) floats)                                   |

@group(0) @binding(1) var<storage, read> table: array<u32>;

struct LoraSide {
  b_side: bool,
  r: u32,
  rows: u32, // this side's factor x (rows, r): A (m) or B (n)
  prows: u32, // the partner's
  off: u32, // x's offset in params and grads
  poff: u32, // the partner's
  own_slot: u32, // offset of this side's (r, r) matrix and scalar in the r x r slots
  partner_slot: u32, // the partner side's
}

fn lora_side(side: u32) -> LoraSide {
  let t = (side / 2u) * 6u;
  let b_side = side % 2u == 1u;
  let r = table[t + 2u];
  let second = table[t + 5u] + r * r + 1u;
  return LoraSide(
    b_side,
    r,
    select(table[t], table[t + 1u], b_side),
    select(table[t + 1u], table[t], b_side),
    select(table[t + 3u], table[t + 4u], b_side),
    select(table[t + 4u], table[t + 3u], b_side),
    select(table[t + 5u], second, b_side),
    select(second, table[t + 5u], b_side),
  );
}
