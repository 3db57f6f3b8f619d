import { describe, expect, it } from 'vitest';
import { preview } from './preview';

describe('preview', () => {
  it('quotes short strings and prints numbers as JavaScript reads them (1e400 is Infinity, not null)', () => {
    expect(preview('relu')).toBe('"relu"');
    expect(preview(12)).toBe('12');
    expect(preview(JSON.parse('1e400'))).toBe('Infinity');
    expect(preview(true)).toBe('true');
    expect(preview(null)).toBe('null');
    expect(preview(undefined)).toBe('undefined');
  });

  it('cuts long strings and names lists and objects without walking into them', () => {
    expect(preview('x'.repeat(1e6))).toBe(`"${'x'.repeat(40)}…"`);
    expect(preview([1])).toBe('a list of 1 item');
    expect(preview({ a: 1 })).toBe('an object');
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(preview(deep)).toBe('a list of 1 item');
  });
});
