// Number formats shared by the panels.

export function formatError(x: number): string {
  if (x === 0) return '0';
  return Number.isFinite(x) ? x.toExponential(2) : String(x);
}

export function formatRatio(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : String(x);
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** Bytes as the largest binary unit that keeps the number at least 1 (limits are powers of 2). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
