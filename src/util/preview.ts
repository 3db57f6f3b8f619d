// A value quoted in an error message. Bounded whatever the value: a file can hold a string of
// megabytes or lists nested 100,000 deep, and JSON.stringify of those is slow or overflows the stack.

const MAX_CHARS = 40;

const MAX_ITEMS = 8;

/** Text as a message quotes it: cut to 40 characters. */
export function clip(text: string): string {
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
}

/** A list of numbers as "[1, 2, 3]", the first 8 and a count when longer. */
export function previewList(list: readonly unknown[]): string {
  if (list.length <= MAX_ITEMS) return `[${list.map(preview).join(', ')}]`;
  const head = list.slice(0, MAX_ITEMS).map(preview).join(', ');
  return `[${head}, … (${list.length.toLocaleString('en-US')} in all)]`;
}

/** A short quotation of a parsed JSON value: strings cut to 40 characters, lists and objects named by size. */
export function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(clip(value));
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
