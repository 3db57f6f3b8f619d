// Float64 twins of shaders/crossentropy.wgsl.

// The target that counts for nothing (padding, masked prompt); the same value as the kernels'.
export const IGNORE_INDEX = 0xffffffff;

// losses (N) = -log softmax(logits (N,V))[targets (N)]
export function crossentropyForward(
  losses: Float64Array,
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  N: number,
  V: number,
): void {
  for (let i = 0; i < N; i++) {
    const t = targets[i];
    if (t === IGNORE_INDEX) {
      losses[i] = 0;
      continue;
    }
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[i * V + v]);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[i * V + v] - max);
    losses[i] = Math.log(sum) - (logits[i * V + t] - max);
  }
}

// losses (N) as above; logits (N,V) <- (softmax - onehot(targets)) * dlossScale, in place
export function crossentropyForwardBackward(
  losses: Float64Array,
  logits: Float64Array,
  targets: ArrayLike<number>,
  N: number,
  V: number,
  dlossScale: number,
): void {
  crossentropyForward(losses, logits, targets, N, V);
  for (let i = 0; i < N; i++) {
    const row = logits.subarray(i * V, (i + 1) * V);
    const t = targets[i];
    if (t === IGNORE_INDEX) {
      row.fill(0);
      continue;
    }
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, row[v]);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(row[v] - max);
    for (let v = 0; v < V; v++) {
      row[v] = (Math.exp(row[v] - max) / sum - (v === t ? 1 : 0)) * dlossScale;
    }
  }
}

// seqLoss (B) = mean of losses (B,T) over each sequence's non-ignored targets (B,T);
// meanLoss (1) = mean over all of them; 0 where nothing is counted
export function sequenceLoss(
  seqLoss: Float64Array,
  meanLoss: Float64Array,
  losses: ArrayLike<number>,
  targets: ArrayLike<number>,
  B: number,
  T: number,
): void {
  let total = 0;
  let totalCount = 0;
  for (let b = 0; b < B; b++) {
    let sum = 0;
    let count = 0;
    for (let t = 0; t < T; t++) {
      if (targets[b * T + t] === IGNORE_INDEX) continue;
      sum += losses[b * T + t];
      count++;
    }
    seqLoss[b] = count > 0 ? sum / count : 0;
    total += sum;
    totalCount += count;
  }
  meanLoss[0] = totalCount > 0 ? total / totalCount : 0;
}
