// A value quoted in an error message. Bounded whatever the value: a file can hold a string of
// megabytes or lists nested 100,000 deep, and JSON.stringify of those is slow or overflows the stack.

const MAX_CHARS = 40;

/** A short quotation of a parsed JSON value: strings cut to 40 characters, lists and objects named by size. */
export function preview(value: unknown): string {
  if (typeof value === 'string') {
    const cut = value.length > MAX_CHARS ? `${value.slice(0, MAX_CHARS)}…` : value;
    return JSON.stringify(cut);
  }
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
