import { describe, expect, it } from 'vitest';
import { appendAll } from './append';

describe('appendAll', () => {
  it('appends in order, in place', () => {
    const a = [1, 2];
    appendAll(a, [3, 4]);
    expect(a).toEqual([1, 2, 3, 4]);
  });

  it('appends 2,000,000 items, where push(...items) overflows the stack', () => {
    const items = new Array<number>(2_000_000).fill(7);
    expect(() => [].push(...(items as never[]))).toThrow(RangeError);
    const a: number[] = [];
    appendAll(a, items);
    expect(a).toHaveLength(2_000_000);
  });
});
