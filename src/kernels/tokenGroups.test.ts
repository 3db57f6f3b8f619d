import { describe, expect, it } from 'vitest';
import { groupTokens, type TokenGroups } from './tokenGroups';

function groupsOf(g: TokenGroups): Record<number, number[]> {
  const r: Record<number, number[]> = {};
  for (let k = 0; k < g.count; k++) {
    r[g.ids[k]] = [...g.positions.subarray(g.starts[k], g.starts[k + 1])];
  }
  return r;
}

describe('groupTokens', () => {
  it('groups repeated tokens with their positions in increasing order', () => {
    const g = groupTokens(Uint32Array.from([5, 2, 5, 9, 2, 5]));
    expect(g.count).toBe(3);
    expect([...g.ids.subarray(0, 3)]).toEqual([2, 5, 9]);
    expect([...g.starts.subarray(0, 4)]).toEqual([0, 2, 5, 6]);
    expect([...g.positions.subarray(0, 6)]).toEqual([1, 4, 0, 2, 5, 3]);
  });

  it('makes one group of every position when all tokens are the same', () => {
    const g = groupTokens(new Uint32Array(7).fill(3));
    expect(groupsOf(g)).toEqual({ 3: [0, 1, 2, 3, 4, 5, 6] });
    expect(g.starts[1]).toBe(7);
  });

  it('makes one group per position, ordered by id, when all tokens differ', () => {
    const g = groupTokens(Uint32Array.from([40, 0, 17, 50256]));
    expect(g.count).toBe(4);
    expect([...g.ids.subarray(0, 4)]).toEqual([0, 17, 40, 50256]);
    expect([...g.starts.subarray(0, 5)]).toEqual([0, 1, 2, 3, 4]);
    expect([...g.positions.subarray(0, 4)]).toEqual([1, 2, 0, 3]);
  });

  it('handles a single token', () => {
    const g = groupTokens(Uint32Array.from([11]));
    expect(groupsOf(g)).toEqual({ 11: [0] });
    expect(g.n).toBe(1);
  });

  it('reuses the arrays of `out` and leaves no trace of the previous batch', () => {
    const g = groupTokens(Uint32Array.from([9, 9, 1, 7]));
    const { ids, starts, positions, cursor } = g;
    const again = groupTokens(Uint32Array.from([3, 1, 3, 3]), g);
    expect(again).toBe(g);
    expect(again.ids).toBe(ids);
    expect(again.starts).toBe(starts);
    expect(again.positions).toBe(positions);
    expect(again.cursor).toBe(cursor);
    expect(groupsOf(again)).toEqual({ 1: [1], 3: [0, 2, 3] });
  });

  it('grows only when a batch exceeds the capacity or the largest id seen', () => {
    const g = groupTokens(Uint32Array.from([1, 2]));
    const bigger = groupTokens(Uint32Array.from([1, 2, 300]), g);
    expect(bigger).not.toBe(g);
    expect(groupsOf(bigger)).toEqual({ 1: [0], 2: [1], 300: [2] });
    const cursor = bigger.cursor;
    groupTokens(Uint32Array.from([300, 0, 0]), bigger);
    expect(bigger.cursor).toBe(cursor);
    expect(groupsOf(bigger)).toEqual({ 0: [1, 2], 300: [0] });
  });
});
