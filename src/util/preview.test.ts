import { describe, expect, it } from 'vitest';
import { preview, previewList } from './preview';

describe('preview', () => {
  it('quotes short strings and prints numbers as JavaScript reads them (1e400 is Infinity, not null)', () => {
    expect(preview('relu')).toBe('"relu"');
    expect(preview(12)).toBe('12');
    expect(preview(JSON.parse('1e400'))).toBe('Infinity');
    expect(preview(true)).toBe('true');
    expect(preview(null)).toBe('null');
    expect(preview(undefined)).toBe('undefined');
  });

  it('shows a list of up to 8 items, and a longer one as its first 8 and its length', () => {
    expect(previewList([1, 2, 3])).toBe('[1, 2, 3]');
    expect(previewList(Array.from({ length: 200_001 }, (_, i) => i))).toBe(
      '[0, 1, 2, 3, 4, 5, 6, 7, … (200,001 in all)]',
    );
  });

  it('cuts long strings and names lists and objects without walking into them', () => {
    expect(preview('x'.repeat(1e6))).toBe(`"${'x'.repeat(40)}…"`);
    expect(preview([1])).toBe('a list of 1 item');
    expect(preview({ a: 1 })).toBe('an object');
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(preview(deep)).toBe('a list of 1 item');
  });
});
