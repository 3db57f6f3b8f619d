// Per-block scores from the training forward pass: every StepResult's per-sequence losses become
// perplexities of the blocks it trained on, with no extra evaluation pass.

/** Time slices of history per block unless the caller asks otherwise. */
export const DEFAULT_SLICES = 64;

/** Phases whose per-block means are kept (LFR has 4, the random baseline 1). */
export const MAX_PHASES = 8;

export interface ScoreStoreOptions {
  /** Columns of history per block; the memory is 4 bytes per block per slice. */
  slices?: number;
}

/** A BlockScores as plain JSON: typed arrays are base64 of their little-endian bytes. */
export interface BlockScoresState {
  blockCount: number;
  slices: number;
  width: number;
  used: number;
  visits: string;
  last: string;
  lastStep: string;
  history: string;
  /** lastStep: the step of each block's last visit in the phase (absent in older saves). */
  phases: { phase: number; sum: string; count: string; lastStep?: string }[];
}

/** One slice of a block's history: the score at the block's last visit in that slice (NaN if it scored NaN). */
export interface HistoryPoint {
  slice: number;
  score: number;
}

/**
 * What the history holds for a visit whose score was NaN (a diverged sequence): a perplexity is
 * never negative, so -Infinity cannot be a score, and NaN already means "not visited".
 */
export const NAN_VISIT = Number.NEGATIVE_INFINITY;

/** The history of every block: data[k * blockCount + id] is block id's last score in slice k. */
export interface ScoreGrid {
  /**
   * (slices, blockCount), NaN where the block was not visited in the slice, NAN_VISIT where its
   * last visit there scored NaN. A view, not a copy.
   */
  data: Float32Array;
  slices: number;
  blockCount: number;
  /** Steps per slice: slice k covers steps [k * sliceWidth, (k + 1) * sliceWidth). */
  sliceWidth: number;
}

/**
 * Scores of `blockCount` blocks. A score is the block's perplexity, exp(mean loss over its
 * sequence), at the moment it was trained on (before that step's weight update).
 *
 * Memory is fixed at construction: per block 12 bytes (visits, last score, last step), 4 bytes
 * per history slice, and 16 bytes per phase seen (a float64 sum, a count and the step of the last
 * visit in the phase), so 100k blocks with the default 64 slices and LFR's 4 phases take
 * 100k x (12 + 256 + 64) B = 33.2 MB however long the run. History slices start one step wide; when a step falls past the last slice,
 * adjacent pairs merge (keeping the later visit) and the width doubles.
 */
export class BlockScores {
  readonly slices: number;
  private readonly visitCount: Uint32Array;
  private readonly last: Float32Array;
  private readonly lastStepOf: Int32Array;
  private readonly history: Float32Array;
  private readonly phaseSum: (Float64Array | undefined)[] = [];
  private readonly phaseCount: (Uint32Array | undefined)[] = [];
  private readonly phaseLast: (Int32Array | undefined)[] = [];
  private width = 1;
  private used = 0;

  constructor(
    readonly blockCount: number,
    options: ScoreStoreOptions = {},
  ) {
    const slices = options.slices ?? DEFAULT_SLICES;
    if (!Number.isInteger(blockCount) || blockCount < 1) {
      throw new Error(
        `BlockScores: blockCount must be a whole number of at least 1, not ${blockCount}`,
      );
    }
    if (!Number.isInteger(slices) || slices < 2 || slices % 2 !== 0) {
      throw new Error(
        `BlockScores: slices must be an even whole number of at least 2, not ${slices}`,
      );
    }
    this.slices = slices;
    this.visitCount = new Uint32Array(blockCount);
    this.last = new Float32Array(blockCount).fill(Number.NaN);
    this.lastStepOf = new Int32Array(blockCount).fill(-1);
    this.history = new Float32Array(slices * blockCount).fill(Number.NaN);
  }

  /** Steps per history slice (a power of two). */
  get sliceWidth(): number {
    return this.width;
  }

  /** History slices holding at least one visit so far (from slice 0). */
  get usedSlices(): number {
    return this.used;
  }

  /** Bytes held by the store's arrays. */
  get bytes(): number {
    let n =
      this.visitCount.byteLength +
      this.last.byteLength +
      this.lastStepOf.byteLength +
      this.history.byteLength;
    for (const s of this.phaseSum) n += s?.byteLength ?? 0;
    for (const c of this.phaseCount) n += c?.byteLength ?? 0;
    for (const l of this.phaseLast) n += l?.byteLength ?? 0;
    return n;
  }

  // blockIds (N), sequenceLosses (N): the blocks one step trained on and their mean losses
  record(
    step: number,
    phase: number,
    blockIds: ArrayLike<number>,
    sequenceLosses: ArrayLike<number>,
  ): void {
    const n = this.blockCount;
    if (!Number.isInteger(step) || step < 0) {
      throw new Error(`BlockScores.record: step must be a whole number >= 0, not ${step}`);
    }
    if (!Number.isInteger(phase) || phase < 0 || phase >= MAX_PHASES) {
      throw new Error(`BlockScores.record: phase must be in [0, ${MAX_PHASES}), not ${phase}`);
    }
    if (blockIds.length !== sequenceLosses.length) {
      throw new Error(
        `BlockScores.record: ${blockIds.length} block ids but ${sequenceLosses.length} losses`,
      );
    }
    while (Math.floor(step / this.width) >= this.slices) this.mergeSlices();
    const k = Math.floor(step / this.width);
    this.used = Math.max(this.used, k + 1);
    this.phaseSum[phase] ??= new Float64Array(n);
    this.phaseCount[phase] ??= new Uint32Array(n);
    this.phaseLast[phase] ??= new Int32Array(n).fill(-1);
    const sum = this.phaseSum[phase];
    const count = this.phaseCount[phase];
    const lastInPhase = this.phaseLast[phase];
    for (let i = 0; i < blockIds.length; i++) {
      const id = blockIds[i];
      if (!(id >= 0 && id < n && Number.isInteger(id))) {
        throw new Error(`BlockScores.record: block id ${id} is not in [0, ${n})`);
      }
      const score = Math.exp(sequenceLosses[i]);
      this.visitCount[id]++;
      this.last[id] = score;
      this.lastStepOf[id] = step;
      this.history[k * n + id] = Number.isNaN(score) ? NAN_VISIT : score;
      sum[id] += score;
      count[id]++;
      lastInPhase[id] = step;
    }
  }

  // Slice j takes slices 2j and 2j + 1 (the later visit wins), so a cell stays "the last visit".
  private mergeSlices(): void {
    const n = this.blockCount;
    const h = this.history;
    const half = this.slices / 2;
    for (let j = 0; j < half; j++) {
      for (let id = 0; id < n; id++) {
        const later = h[(2 * j + 1) * n + id];
        h[j * n + id] = Number.isNaN(later) ? h[2 * j * n + id] : later;
      }
    }
    h.fill(Number.NaN, half * n);
    this.width *= 2;
    this.used = Math.ceil(this.used / 2);
  }

  visits(id: number): number {
    return this.visitCount[id];
  }

  /** Perplexity at the block's last visit; NaN before its first. */
  lastScore(id: number): number {
    return this.last[id];
  }

  /** Step of the block's last visit; -1 before its first. */
  lastStep(id: number): number {
    return this.lastStepOf[id];
  }

  /** The block's visited slices in time order with its last score in each. */
  historyOf(id: number): HistoryPoint[] {
    const out: HistoryPoint[] = [];
    for (let k = 0; k < this.used; k++) {
      const score = this.history[k * this.blockCount + id];
      if (!Number.isNaN(score))
        out.push({ slice: k, score: score === NAN_VISIT ? Number.NaN : score });
    }
    return out;
  }

  /** Mean score of each block over its visits in `phase` (what a Focus cut ranks); NaN if none. */
  phaseMeans(phase: number): Float64Array {
    const out = new Float64Array(this.blockCount).fill(Number.NaN);
    const sum = this.phaseSum[phase];
    const count = this.phaseCount[phase];
    if (!sum || !count) return out;
    for (let id = 0; id < this.blockCount; id++) {
      if (count[id] > 0) out[id] = sum[id] / count[id];
    }
    return out;
  }

  /** Step of each block's last visit in `phase`; -1 where it had none (or the save predates it). */
  phaseLastSteps(phase: number): Int32Array {
    return this.phaseLast[phase]?.slice() ?? new Int32Array(this.blockCount).fill(-1);
  }

  /** Visits of each block in `phase`. */
  phaseVisits(phase: number): Uint32Array {
    return this.phaseCount[phase]?.slice() ?? new Uint32Array(this.blockCount);
  }

  /** Everything recorded so far, as plain JSON (the arrays as base64 of their bytes) for a checkpoint. */
  saveState(): BlockScoresState {
    const phases: BlockScoresState['phases'] = [];
    this.phaseSum.forEach((sum, phase) => {
      const count = this.phaseCount[phase];
      const lastStep = this.phaseLast[phase];
      if (sum && count && lastStep) {
        phases.push({
          phase,
          sum: toBase64(sum),
          count: toBase64(count),
          lastStep: toBase64(lastStep),
        });
      }
    });
    return {
      blockCount: this.blockCount,
      slices: this.slices,
      width: this.width,
      used: this.used,
      visits: toBase64(this.visitCount),
      last: toBase64(this.last),
      lastStep: toBase64(this.lastStepOf),
      history: toBase64(this.history),
      phases,
    };
  }

  /** Replaces everything recorded with `state` (from saveState of a store of the same shape). */
  restoreState(state: BlockScoresState): void {
    const n = this.blockCount;
    if (state.blockCount !== n || state.slices !== this.slices) {
      throw new Error(
        `BlockScores.restoreState: the saved scores are for ${state.blockCount} blocks x ${state.slices} slices, not ${n} x ${this.slices}`,
      );
    }
    const phaseSum: Float64Array[] = [];
    const phaseCount: Uint32Array[] = [];
    const phaseLast: Int32Array[] = [];
    for (const p of state.phases) {
      if (!(Number.isInteger(p.phase) && p.phase >= 0 && p.phase < MAX_PHASES)) {
        throw new Error(`BlockScores.restoreState: phase ${p.phase} is not in [0, ${MAX_PHASES})`);
      }
      phaseSum[p.phase] = fromBase64(p.sum, Float64Array, n);
      phaseCount[p.phase] = fromBase64(p.count, Uint32Array, n);
      phaseLast[p.phase] =
        p.lastStep === undefined
          ? new Int32Array(n).fill(-1)
          : fromBase64(p.lastStep, Int32Array, n);
    }
    // Decoded in full before anything is replaced, so a bad state leaves the store as it was.
    const visits = fromBase64(state.visits, Uint32Array, n);
    const last = fromBase64(state.last, Float32Array, n);
    const lastStep = fromBase64(state.lastStep, Int32Array, n);
    const history = fromBase64(state.history, Float32Array, this.slices * n);
    this.visitCount.set(visits);
    this.last.set(last);
    this.lastStepOf.set(lastStep);
    this.history.set(history);
    this.phaseSum.length = 0;
    this.phaseCount.length = 0;
    this.phaseLast.length = 0;
    phaseSum.forEach((sum, phase) => {
      this.phaseSum[phase] = sum;
      this.phaseCount[phase] = phaseCount[phase];
      this.phaseLast[phase] = phaseLast[phase];
    });
    this.width = state.width;
    this.used = state.used;
  }

  /** The (usedSlices, blockCount) history for drawing. */
  grid(): ScoreGrid {
    return {
      data: this.history.subarray(0, this.used * this.blockCount),
      slices: this.used,
      blockCount: this.blockCount,
      sliceWidth: this.width,
    };
  }
}

type TypedArrayOf<T> = { new (buffer: ArrayBuffer): T; BYTES_PER_ELEMENT: number };

function toBase64(a: ArrayBufferView): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let text = '';
  // In chunks: String.fromCharCode takes its arguments on the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

function fromBase64<T extends ArrayBufferView>(
  text: string,
  type: TypedArrayOf<T>,
  length: number,
): T {
  const binary = atob(text);
  if (binary.length !== length * type.BYTES_PER_ELEMENT) {
    throw new Error(
      `BlockScores.restoreState: a saved array has ${binary.length} bytes, not the ${length * type.BYTES_PER_ELEMENT} of ${length} values`,
    );
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new type(bytes.buffer);
}
