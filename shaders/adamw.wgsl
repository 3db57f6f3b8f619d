// AdamW step with decoupled weight decay (PyTorch, nanoGPT): param, m, v (n) updated in place
// from grads (n); n = the f32s of a flat parameter buffer (the model's in src/bench/train.ts,
// the LoRA factors' in src/optim/loraAdam.ts), one invocation each.
// The gradient is multiplied by the clip scale that gradnorm left in
// norm[1], so clipping never waits for the CPU. Bias corrections arrive from the CPU, computed in
// float64; so do 1 - beta1 and 1 - beta2, since 1 - f32(0.999) keeps only a few correct digits.

struct Params {
  n: u32,
  lr: f32,
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  eps: f32,
  weight_decay: f32,
  inv_bias_correction1: f32, // 1 / (1 - beta1^t)
  inv_bias_correction2: f32, // 1 / (1 - beta2^t)
}

// Bindings, in src/kernels/adamw.ts's order (binding 0 is the uniform p):
//   1 param      (n)             read_write  weights, updated in place
//   2 m          (n)             read_write  first moment (Adam state), updated in place
//   3 v          (n)             read_write  second moment (Adam state), updated in place
//   4 grads      (n)             read        raw gradient, before clipping
//   5 norm       (2)             read        [||grads||, clip scale] from gradnorm's finish
//   6 decay_mask (ceil(n / 32))  read        bit i set: parameter i is decayed (packDecayMask)
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read> grads: array<f32>;
@group(0) @binding(5) var<storage, read> norm: array<f32>;
@group(0) @binding(6) var<storage, read> decay_mask: array<u32>;

// One lane per parameter, no workgroup memory and no barriers: 256 (the launcher's WG), the
// largest size WebGPU guarantees (maxComputeInvocationsPerWorkgroup), for the fewest workgroups.
// grid1d spreads the n / 256 workgroups over x and y when they exceed 65535 per dimension.
override WG: u32 = 256;

// param, m, v (n) updated in place from grads (n) * norm[1]; decay_mask (ceil(n / 32)) bits
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i >= p.n) { return; }
  let g = grads[i] * norm[1];
  let mi = p.beta1 * m[i] + p.one_minus_beta1 * g;
  let vi = p.beta2 * v[i] + p.one_minus_beta2 * (g * g);
  m[i] = mi;
  v[i] = vi;
  let mhat = mi * p.inv_bias_correction1;
  let vhat = vi * p.inv_bias_correction2;
  let decay = select(0.0, p.weight_decay, ((decay_mask[i / 32u] >> (i % 32u)) & 1u) == 1u);
  let w = param[i];
  param[i] = w - p.lr * (mhat / (sqrt(vhat) + p.eps) + decay * w);
}
