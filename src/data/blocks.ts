// Training examples are blocks: windows of blockSize + 1 tokens of one split's stream, the first
// blockSize the inputs and the last blockSize the targets (the same window shifted by one).
import { Rng } from '../util/rng';
import { documentAt, type Split, type TokenStream } from './dataset';
import { DataError } from './errors';

export interface BlockInfo {
  id: number;
  split: Split;
  /** Stream position of the block's first token. */
  start: number;
  /** Document of the first token, and the token's offset inside it. */
  doc: number;
  offset: number;
  /** Document of the last token: greater than doc when the block spans a document boundary. */
  lastDoc: number;
}

/**
 * Block id i (0..count-1, in stream order) is tokens [i*T, i*T + T + 1) of its split. Consecutive
 * blocks share one token (block i's last target is block i+1's first input), so every token after
 * the first is a target exactly once per epoch. A block may span a document boundary inside its
 * split, as in nanoGPT's training (the model learns what follows end-of-text); it never spans
 * splits, because each split is a stream of its own.
 */
export class Blocks {
  readonly count: number;

  /**
   * `starts`, when given, are the stream positions of the blocks (a sample of the split's
   * windows, for LFR's `blocks`): block id i is tokens [starts[i], starts[i] + T + 1).
   */
  constructor(
    readonly stream: TokenStream,
    readonly blockSize: number,
    readonly starts?: Uint32Array,
  ) {
    if (!Number.isInteger(blockSize) || blockSize < 1) {
      throw new DataError(`block_size must be a whole number of at least 1, not ${blockSize}.`);
    }
    const n = stream.tokens.length;
    if (n < blockSize + 1) {
      const fix = n >= 2 ? `lower block_size to at most ${n - 1}, or add text` : 'add text to it';
      throw new DataError(
        `The ${stream.split} split has ${n} tokens, fewer than one block of block_size + 1 = ${blockSize + 1} needs: ${fix}.`,
      );
    }
    this.count = starts?.length ?? Math.floor((n - 1) / blockSize);
    if (starts?.some((p) => p + blockSize >= n)) {
      throw new DataError(`A block start lies past the ${stream.split} split's last block.`);
    }
  }

  start(id: number): number {
    return this.starts ? this.starts[id] : id * this.blockSize;
  }

  info(id: number): BlockInfo {
    const start = this.start(id);
    const first = documentAt(this.stream, start);
    const last = documentAt(this.stream, start + this.blockSize);
    return {
      id,
      split: this.stream.split,
      start,
      doc: first.doc,
      offset: first.offset,
      lastDoc: last.doc,
    };
  }

  /** The block's blockSize + 1 tokens (a view, not a copy). */
  tokens(id: number): TokenStream['tokens'] {
    const start = this.start(id);
    return this.stream.tokens.subarray(start, start + this.blockSize + 1);
  }
}

// inputs, targets (B,T) = the blocks ids (B) of the stream, and the same shifted by one token
export function fillBatch(
  inputs: Uint32Array,
  targets: Uint32Array,
  blocks: Blocks,
  ids: ArrayLike<number>,
): void {
  const T = blocks.blockSize;
  const tokens = blocks.stream.tokens;
  if (inputs.length !== ids.length * T || targets.length !== ids.length * T) {
    throw new Error(`fillBatch: inputs and targets must hold B*T = ${ids.length * T} ids`);
  }
  for (let b = 0; b < ids.length; b++) {
    const start = blocks.start(ids[b]);
    for (let t = 0; t < T; t++) {
      inputs[b * T + t] = tokens[start + t];
      targets[b * T + t] = tokens[start + t + 1];
    }
  }
}

/** All a sampler needs to resume: with the same blocks, it continues the same sequence. */
export interface SamplerState {
  seed: number;
  epoch: number;
  /** Position in the epoch's order of the next block to hand out. */
  cursor: number;
  /** Block count when saved, to catch resuming with another block_size or dataset. */
  blocks: number;
}

/**
 * Hands out B block ids per step: every block once per epoch in an order shuffled afresh each
 * epoch from (seed, epoch). A batch at an epoch's end is completed from the next epoch, so
 * epochs stay exact and such a batch may repeat a block.
 */
export class BatchSampler {
  private readonly order: Uint32Array;
  private epoch = 0;
  private cursor = 0;

  constructor(
    readonly blocks: Blocks,
    readonly batchSize: number,
    private readonly seed: number,
    state?: SamplerState,
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new DataError(`The batch size must be a whole number of at least 1, not ${batchSize}.`);
    }
    if (blocks.count < batchSize) {
      throw new DataError(
        `The ${blocks.stream.split} split gives ${blocks.count} blocks of block_size ${blocks.blockSize}, fewer than one batch of ${batchSize}: lower the batch size to at most ${blocks.count}, lower block_size, or add text.`,
      );
    }
    this.order = new Uint32Array(blocks.count);
    if (state) this.restore(state);
    else this.shuffle();
  }

  get state(): SamplerState {
    return { seed: this.seed, epoch: this.epoch, cursor: this.cursor, blocks: this.blocks.count };
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  // ids (B), inputs, targets (B,T): the next batch, written into the caller's arrays
  next(ids: Uint32Array, inputs: Uint32Array, targets: Uint32Array): void {
    if (ids.length !== this.batchSize) {
      throw new Error(`BatchSampler.next: ids must hold B = ${this.batchSize} ids`);
    }
    for (let b = 0; b < ids.length; b++) {
      ids[b] = this.order[this.cursor++];
      if (this.cursor === this.order.length) {
        this.epoch++;
        this.cursor = 0;
        this.shuffle();
      }
    }
    fillBatch(inputs, targets, this.blocks, ids);
  }

  private restore(state: SamplerState): void {
    if (state.seed !== this.seed) {
      throw new DataError(`The sampler state was saved with seed ${state.seed}, not ${this.seed}.`);
    }
    if (state.blocks !== this.blocks.count) {
      throw new DataError(
        `The checkpoint's data order covers ${state.blocks} blocks, but this dataset and block_size give ${this.blocks.count}: resume with the dataset and block_size it was trained with.`,
      );
    }
    if (
      !Number.isInteger(state.epoch) ||
      state.epoch < 0 ||
      !Number.isInteger(state.cursor) ||
      state.cursor < 0 ||
      state.cursor >= this.blocks.count
    ) {
      throw new DataError(
        `The sampler state ${JSON.stringify(state)} is not a position in ${this.blocks.count} blocks.`,
      );
    }
    this.epoch = state.epoch;
    this.cursor = state.cursor;
    this.shuffle();
  }

  // Fisher-Yates from the identity, so an epoch's order depends on (seed, epoch) alone.
  private shuffle(): void {
    const order = this.order;
    for (let i = 0; i < order.length; i++) order[i] = i;
    const rng = new Rng((this.seed ^ Math.imul(this.epoch + 1, 0x9e3779b9)) >>> 0);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
  }
}
