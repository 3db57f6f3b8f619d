/**
 * Appends `items` to `target` in place. `target.push(...items)` passes every item as an argument
 * on the stack and overflows it at a few hundred thousand items (a file can hold that many).
 */
export function appendAll<T>(target: T[], items: Iterable<T>): void {
  for (const item of items) target.push(item);
}
