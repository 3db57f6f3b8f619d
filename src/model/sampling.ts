import type { Rng } from '../util/rng';

/**
 * Draws a token from logits (V) at `temperature` among the `topK` most likely (0 = all).
 * Temperature 0 picks the most likely token (ties to the lowest id), so it is deterministic.
 */
export function sampleToken(
  logits: ArrayLike<number>,
  temperature: number,
  topK: number,
  rng: Rng,
): number {
  const V = logits.length;
  let best = 0;
  for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
  if (temperature <= 0) return best;
  const order = Array.from({ length: V }, (_, i) => i);
  const k = topK > 0 ? Math.min(topK, V) : V;
  if (k < V) order.sort((a, b) => logits[b] - logits[a] || a - b);
  const max = logits[best];
  const weights = new Float64Array(k);
  let sum = 0;
  for (let j = 0; j < k; j++) {
    weights[j] = Math.exp((logits[order[j]] - max) / temperature);
    sum += weights[j];
  }
  let u = rng.uniform() * sum;
  for (let j = 0; j < k; j++) {
    u -= weights[j];
    if (u < 0) return order[j];
  }
  return order[k - 1];
}
