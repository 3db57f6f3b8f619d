import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { MinHeap } from './bpeHeap';

describe('MinHeap', () => {
  it('pops every pushed key in ascending order, growing past its first capacity', () => {
    const rng = new Rng(3);
    const heap = new MinHeap();
    const keys = Array.from({ length: 1000 }, () => rng.int(50) * 2 ** 32 + rng.int(1 << 20));
    for (const key of keys) heap.push(key);
    const popped: number[] = [];
    while (heap.size > 0) popped.push(heap.pop());
    expect(popped).toEqual([...keys].sort((a, b) => a - b));
  });

  it('interleaves pushes and pops and starts empty after clear()', () => {
    const heap = new MinHeap();
    heap.push(5);
    heap.push(1);
    expect(heap.pop()).toBe(1);
    heap.push(3);
    expect(heap.pop()).toBe(3);
    heap.clear();
    expect(heap.size).toBe(0);
    heap.push(9);
    expect(heap.pop()).toBe(9);
  });

  it('counts one step per level moved: at most log2(n) per push and per pop', () => {
    const heap = new MinHeap();
    const n = 1 << 12;
    // Descending keys: every push climbs to the root.
    for (let i = n; i > 0; i--) heap.push(i);
    const pushSteps = heap.steps;
    while (heap.size > 0) heap.pop();
    expect(pushSteps).toBeGreaterThan(n * 9);
    expect(pushSteps).toBeLessThanOrEqual(n * 12);
    expect(heap.steps - pushSteps).toBeLessThanOrEqual(n * 12);
  });
});
