// Every block visit a schedule observed, raw: (step, block, sequence loss) in step order. The
// score store keeps per-slice means (bounded memory for the views); a replay file needs the
// visits themselves, so another trainer can check its batches and losses visit by visit.

/** 12 bytes a visit: a 100k-block run of four passes logs under 5 MB. */
export class VisitLog {
  private steps = new Uint32Array(1024);
  private blocks = new Uint32Array(1024);
  private losses = new Float32Array(1024);
  private size = 0;
  /** The first step logged: a schedule restored from a checkpoint logs from where it resumed. */
  fromStep: number | null = null;

  get length(): number {
    return this.size;
  }

  /** One observed step's blocks and their sequence losses, in the order trained. */
  record(step: number, blockIds: ArrayLike<number>, losses: ArrayLike<number>): void {
    this.fromStep ??= step;
    const need = this.size + blockIds.length;
    if (need > this.steps.length) this.grow(Math.max(need, this.steps.length * 2));
    for (let i = 0; i < blockIds.length; i++) {
      this.steps[this.size] = step;
      this.blocks[this.size] = blockIds[i];
      this.losses[this.size] = losses[i];
      this.size++;
    }
  }

  /** [step, block, loss] rows; a non-finite loss is null (JSON has no NaN). */
  rows(): [number, number, number | null][] {
    const out: [number, number, number | null][] = [];
    for (let i = 0; i < this.size; i++) {
      const loss = this.losses[i];
      out.push([this.steps[i], this.blocks[i], Number.isFinite(loss) ? loss : null]);
    }
    return out;
  }

  private grow(capacity: number): void {
    const steps = new Uint32Array(capacity);
    const blocks = new Uint32Array(capacity);
    const losses = new Float32Array(capacity);
    steps.set(this.steps.subarray(0, this.size));
    blocks.set(this.blocks.subarray(0, this.size));
    losses.set(this.losses.subarray(0, this.size));
    this.steps = steps;
    this.blocks = blocks;
    this.losses = losses;
  }
}
