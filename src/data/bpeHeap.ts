// A binary min-heap of numbers in one growable Float64Array: the BPE merge keeps its candidate
// pairs here, a number each (rank and position packed), so a merge costs O(log n), not a scan.

/** What the merge needs of its heap; a test swaps in a slow one to show the step count sees it. */
export interface PairHeap {
  readonly size: number;
  /** Work done since construction, in steps of O(1). */
  readonly steps: number;
  clear(): void;
  push(key: number): void;
  /** The smallest key, removed; the heap must not be empty. */
  pop(): number;
}

export class MinHeap implements PairHeap {
  private keys = new Float64Array(64);
  size = 0;
  /**
   * Sift steps (one per level moved) since construction: the work of every push and pop, so a test
   * can check the merge is O(n log n) without timing it.
   */
  steps = 0;

  clear(): void {
    this.size = 0;
  }

  push(key: number): void {
    if (this.size === this.keys.length) {
      const grown = new Float64Array(this.keys.length * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    const keys = this.keys;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent] <= key) break;
      keys[i] = keys[parent];
      i = parent;
      this.steps++;
    }
    keys[i] = key;
  }

  pop(): number {
    const keys = this.keys;
    const top = keys[0];
    const last = keys[--this.size];
    const n = this.size;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && keys[child + 1] < keys[child]) child++;
      if (keys[child] >= last) break;
      keys[i] = keys[child];
      i = child;
      this.steps++;
    }
    keys[i] = last;
    return top;
  }
}
