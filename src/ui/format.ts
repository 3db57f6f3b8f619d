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

/** A duration to the nearest second, minute or hour, as a person would say it. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

const counts = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

/** A count with thousands separators (one shared formatter: building one per call is slow). */
export function formatCount(n: number): string {
  return counts.format(n);
}
