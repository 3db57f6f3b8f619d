// The one shuffle of every LFR order (epochs, random drops, block samples), as the schedule file
// spells it: from the generator seeded `seed`, for i = n - 1 down to 1 swap i with int(i + 1).
import { Rng } from '../util/rng';

/** Shuffles `order` in place; returns it. */
export function fisherYates(order: Uint32Array, seed: number): Uint32Array {
  const rng = new Rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order;
}
