// Byte-level BPE with tiktoken's merge rule (what GPT-2's r50k_base and the gpt-tokenizer package
// use): a piece's UTF-8 bytes start as one part each, and the adjacent pair whose joined bytes are
// the lowest-ranked token is merged, the leftmost on a tie, until no pair is a token. The package
// finds that pair by scanning all parts after every merge, O(n^2) per piece; here a min-heap of
// candidate pairs over a linked list of parts makes it O(n log n), with the same result.
import { MinHeap, type PairHeap } from './bpeHeap';

/** A heap key is rank * 2^32 + the pair's left part's byte position: exact in a float64. */
const POSITION_SCALE = 2 ** 32;
const NO_PAIR = -1;
const EMPTY = -1;

// WHATWG UTF-8, as TextEncoder: a lone surrogate is encoded as U+FFFD.
const REPLACEMENT = [0xef, 0xbf, 0xbd];

/** A token that encode() never emits but decode() reads, such as GPT-2's `<|endoftext|>`. */
export interface SpecialToken {
  id: number;
  text: string;
}

/** Where encodePiece appends ids: an IdList, or a number[] in tests. */
export interface IdSink {
  push(id: number): void;
}

/** A growable list of ids in a Uint32Array: a number[] of millions of ids is slower to grow. */
export class IdList implements IdSink {
  private data = new Uint32Array(1024);
  length = 0;

  push(id: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = id;
  }

  /** The ids pushed, in a copy of their exact size. */
  toArray(): Uint32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * Encodes pre-tokenized pieces and decodes ids, over a vocabulary in the package's shipped format:
 * entry i is token i's text, or its bytes when they are not valid UTF-8.
 */
export class BytePairEncoder {
  private readonly byteToken = new Int32Array(256).fill(EMPTY);
  /** Every token's text that is valid UTF-8, as the package keys its whole-piece lookup. */
  private readonly textTokens = new Map<string, number>();
  /** Token i's bytes are bytes[offsets[i]..offsets[i + 1]]. */
  private readonly tokenBytes: Uint8Array;
  private readonly offsets: Uint32Array;
  // Open addressing over (left << 16 | right) -> the token of the joined bytes: slot s holds its
  // key at 2s and its token at 2s + 1, so a lookup touches one cache line.
  private readonly pairs: Int32Array;
  private readonly pairMask: number;
  // A piece's bytes and its parts (a part starts at a byte position), grown to the longest piece.
  private bytes = new Uint8Array(0);
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  private token = new Int32Array(0);
  private rank = new Int32Array(0);

  /** `heap` holds the candidate pairs; its `steps` count the merge's work. */
  constructor(
    vocabulary: readonly (string | readonly number[])[],
    specials: SpecialToken[],
    readonly heap: PairHeap = new MinHeap(),
  ) {
    const size = Math.max(vocabulary.length, ...specials.map((s) => s.id + 1));
    if (size > 0x10000) throw new Error(`BPE vocabulary of ${size} tokens: at most 65536 fit`);
    const encoder = new TextEncoder();
    const all: Uint8Array[] = Array.from({ length: size }, () => new Uint8Array(0));
    const idOfBytes = new Map<string, number>();
    vocabulary.forEach((entry, id) => {
      const bytes = typeof entry === 'string' ? encoder.encode(entry) : Uint8Array.from(entry);
      all[id] = bytes;
      idOfBytes.set(latin1(bytes), id);
      if (typeof entry === 'string') this.textTokens.set(entry, id);
      if (bytes.length === 1) this.byteToken[bytes[0]] = id;
    });
    for (const { id, text } of specials) all[id] = encoder.encode(text);
    if (this.byteToken.includes(EMPTY)) throw new Error('BPE vocabulary lacks a single-byte token');
    this.offsets = new Uint32Array(size + 1);
    for (let id = 0; id < size; id++) this.offsets[id + 1] = this.offsets[id] + all[id].length;
    this.tokenBytes = new Uint8Array(this.offsets[size]);
    for (let id = 0; id < size; id++) this.tokenBytes.set(all[id], this.offsets[id]);

    // A pair (left, right) merges into the token whose bytes are left's then right's: every token
    // split at every byte into two tokens.
    const pairs: number[] = [];
    for (const [key, id] of idOfBytes) {
      for (let k = 1; k < key.length; k++) {
        const left = idOfBytes.get(key.slice(0, k));
        const right = idOfBytes.get(key.slice(k));
        if (left !== undefined && right !== undefined) pairs.push((left << 16) | right, id);
      }
    }
    const capacity = 2 ** Math.ceil(Math.log2(pairs.length + 2));
    this.pairMask = capacity - 1;
    this.pairs = new Int32Array(2 * capacity).fill(EMPTY);
    for (let i = 0; i < pairs.length; i += 2) {
      let slot = this.slot(pairs[i]);
      while (this.pairs[2 * slot] !== EMPTY) slot = (slot + 1) & this.pairMask;
      this.pairs[2 * slot] = pairs[i];
      this.pairs[2 * slot + 1] = pairs[i + 1];
    }
  }

  /** Appends the ids of one pre-tokenized piece to `out`. */
  encodePiece(piece: string, out: IdSink): void {
    // As the package (and tiktoken): a piece that is a token is that token. Every r50k token
    // merges to itself anyway, so for GPT-2 this is only a shortcut.
    const whole = this.textTokens.get(piece);
    if (whole !== undefined) {
      out.push(whole);
      return;
    }
    const n = this.toUtf8(piece);
    if (n === 1) {
      out.push(this.byteToken[this.bytes[0]]);
      return;
    }
    this.merge(n);
    for (let p = 0; p < n; p = this.next[p]) out.push(this.token[p]);
  }

  /** Ids to text through one UTF-8 decode of all their bytes: linear, U+FFFD for broken bytes. */
  decode(ids: ArrayLike<number>, decoder: TextDecoder): string {
    const size = this.offsets.length - 1;
    let length = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(Number.isInteger(id) && id >= 0 && id < size)) {
        throw new Error(`Token ${id} is not a GPT-2 token: ids run from 0 to ${size - 1}.`);
      }
      length += this.offsets[id + 1] - this.offsets[id];
    }
    const bytes = new Uint8Array(length);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const from = this.offsets[ids[i]];
      const to = this.offsets[ids[i] + 1];
      bytes.set(this.tokenBytes.subarray(from, to), at);
      at += to - from;
    }
    return decoder.decode(bytes);
  }

  private slot(key: number): number {
    return (Math.imul(key, 0x9e3779b1) >>> 0) & this.pairMask;
  }

  /** The token that the pair (left, right) merges into, or NO_PAIR. */
  private pairRank(left: number, right: number): number {
    const key = (left << 16) | right;
    const pairs = this.pairs;
    for (let slot = this.slot(key); ; slot = (slot + 1) & this.pairMask) {
      const found = pairs[2 * slot];
      if (found === key) return pairs[2 * slot + 1];
      if (found === EMPTY) return NO_PAIR;
    }
  }

  /** `piece` as UTF-8 into this.bytes; returns the byte count. */
  private toUtf8(piece: string): number {
    if (this.bytes.length < 3 * piece.length) this.grow(3 * piece.length);
    const bytes = this.bytes;
    let n = 0;
    for (let i = 0; i < piece.length; i++) {
      let c = piece.charCodeAt(i);
      if (c < 0x80) {
        bytes[n++] = c;
      } else if (c < 0x800) {
        bytes[n++] = 0xc0 | (c >> 6);
        bytes[n++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const low = piece.charCodeAt(i + 1);
        if (c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
          bytes[n++] = 0xf0 | (c >> 18);
          bytes[n++] = 0x80 | ((c >> 12) & 0x3f);
          bytes[n++] = 0x80 | ((c >> 6) & 0x3f);
          bytes[n++] = 0x80 | (c & 0x3f);
        } else {
          for (const b of REPLACEMENT) bytes[n++] = b;
        }
      } else {
        bytes[n++] = 0xe0 | (c >> 12);
        bytes[n++] = 0x80 | ((c >> 6) & 0x3f);
        bytes[n++] = 0x80 | (c & 0x3f);
      }
    }
    return n;
  }

  private grow(n: number): void {
    this.bytes = new Uint8Array(n);
    this.next = new Int32Array(n);
    this.prev = new Int32Array(n);
    this.token = new Int32Array(n);
    this.rank = new Int32Array(n);
  }

  /**
   * Merges the n bytes of this.bytes; the parts are then the list from 0 through next[], each of
   * token[]. rank[p] is the token of the pair starting at part p (NO_PAIR for none, or a part
   * merged away), so a heap entry whose rank is no longer rank[p] is stale and skipped.
   */
  private merge(n: number): void {
    const { bytes, next, prev, token, rank, heap } = this;
    heap.clear();
    for (let p = 0; p < n; p++) {
      token[p] = this.byteToken[bytes[p]];
      next[p] = p + 1;
      prev[p] = p - 1;
    }
    for (let p = 0; p < n; p++) {
      rank[p] = p + 1 < n ? this.pairRank(token[p], token[p + 1]) : NO_PAIR;
      if (rank[p] !== NO_PAIR) heap.push(rank[p] * POSITION_SCALE + p);
    }
    while (heap.size > 0) {
      const key = heap.pop();
      const r = Math.floor(key / POSITION_SCALE);
      const p = key - r * POSITION_SCALE;
      if (rank[p] !== r) continue;
      const gone = next[p];
      const after = next[gone];
      token[p] = r;
      next[p] = after;
      if (after < n) prev[after] = p;
      rank[gone] = NO_PAIR;
      rank[p] = after < n ? this.pairRank(r, token[after]) : NO_PAIR;
      if (rank[p] !== NO_PAIR) heap.push(rank[p] * POSITION_SCALE + p);
      const before = prev[p];
      if (before >= 0) {
        rank[before] = this.pairRank(token[before], r);
        if (rank[before] !== NO_PAIR) heap.push(rank[before] * POSITION_SCALE + before);
      }
    }
  }
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}
