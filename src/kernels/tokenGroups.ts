import type { GpuContext } from '../gpu/device';

/**
 * A batch's token positions grouped by token, for the embedding backward: group g is token
 * ids[g] (increasing), occurring at positions[starts[g] .. starts[g+1]) (each b*T+t, increasing).
 * Only the first `count` ids, `count + 1` starts and `n` positions are meaningful: the arrays keep
 * their capacity so one TokenGroups serves every step.
 */
export interface TokenGroups {
  count: number;
  n: number;
  ids: Uint32Array;
  starts: Uint32Array;
  positions: Uint32Array;
  /** Scratch of the counting sort, indexed by token id (grows to the largest id seen). */
  cursor: Uint32Array;
}

function emptyGroups(capacity: number): TokenGroups {
  return {
    count: 0,
    n: 0,
    ids: new Uint32Array(capacity),
    starts: new Uint32Array(capacity + 1),
    positions: new Uint32Array(capacity),
    cursor: new Uint32Array(0),
  };
}

/**
 * Groups the positions of `tokens` by token id with a counting sort, in O(n + largest id).
 * Reuses `out`'s arrays when they are large enough, so a training step allocates nothing.
 */
export function groupTokens(tokens: Uint32Array, out?: TokenGroups): TokenGroups {
  const n = tokens.length;
  const g = out && out.ids.length >= n ? out : emptyGroups(n);
  let maxId = 0;
  for (let i = 0; i < n; i++) if (tokens[i] > maxId) maxId = tokens[i];
  if (g.cursor.length <= maxId) g.cursor = new Uint32Array(maxId + 1);
  const cursor = g.cursor;
  cursor.fill(0, 0, maxId + 1);
  for (let i = 0; i < n; i++) cursor[tokens[i]]++;
  // Ids in increasing order with their start offsets; the cursor becomes each group's write slot.
  let count = 0;
  let offset = 0;
  for (let u = 0; u <= maxId && offset < n; u++) {
    const occurrences = cursor[u];
    if (occurrences === 0) continue;
    g.ids[count] = u;
    g.starts[count] = offset;
    cursor[u] = offset;
    offset += occurrences;
    count++;
  }
  g.starts[count] = offset;
  for (let i = 0; i < n; i++) g.positions[cursor[tokens[i]]++] = i;
  g.count = count;
  g.n = n;
  return g;
}

/**
 * The GPU copy of a TokenGroups, made once for a capacity of B*T positions; `write` uploads one
 * step's groups, and the kernel's dispatch covers `capacity` group slots whatever the count.
 */
export class TokenGroupBuffers {
  readonly ids: GPUBuffer;
  readonly starts: GPUBuffer;
  readonly positions: GPUBuffer;
  /** One u32: the number of groups. */
  readonly count: GPUBuffer;
  private readonly countWord = new Uint32Array(1);

  constructor(
    ctx: GpuContext,
    readonly capacity: number,
  ) {
    const make = (label: string, words: number) =>
      ctx.device.createBuffer({
        label: `token_groups:${label}`,
        size: Math.max(4, words * 4),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
    this.ids = make('ids', capacity);
    this.starts = make('starts', capacity + 1);
    this.positions = make('positions', capacity);
    this.count = make('count', 1);
  }

  write(ctx: GpuContext, groups: TokenGroups): void {
    if (groups.n > this.capacity) {
      throw new Error(`TokenGroupBuffers: ${groups.n} positions exceed capacity ${this.capacity}`);
    }
    const q = ctx.device.queue;
    q.writeBuffer(this.ids, 0, groups.ids.buffer, groups.ids.byteOffset, groups.count * 4);
    q.writeBuffer(
      this.starts,
      0,
      groups.starts.buffer,
      groups.starts.byteOffset,
      (groups.count + 1) * 4,
    );
    q.writeBuffer(
      this.positions,
      0,
      groups.positions.buffer,
      groups.positions.byteOffset,
      groups.n * 4,
    );
    this.countWord[0] = groups.count;
    q.writeBuffer(this.count, 0, this.countWord);
  }

  destroy(): void {
    for (const b of [this.ids, this.starts, this.positions, this.count]) b.destroy();
  }
}
