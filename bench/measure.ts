/**
 * The arithmetic and parsing behind `npm run bench`'s figures, kept free of I/O so that
 * test/bench/measure.test.ts can check it, and the settings the benches share.
 */

/** The median; the mean of the two middle values for an even count. NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile of values sorted in ascending order. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

/**
 * utime + stime, in clock ticks, from the text of /proc/<pid>/stat. The command name (field 2)
 * is in parentheses and may itself hold spaces and parentheses, so the fields are counted from
 * the last `)`: state is field 3, utime field 14 and stime field 15.
 */
export function processTicks(stat: string): number {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/<pid>/stat line');
  const fields = stat.slice(close + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error('no utime and stime in the /proc/<pid>/stat line');
  return utime + stime;
}

/** used_cpu_user + used_cpu_sys from Redis's `INFO cpu`, in seconds. */
export function redisCpuSeconds(info: string): number {
  const value = (name: string) => {
    const match = new RegExp(`^${name}:([\\d.]+)\\s*$`, 'm').exec(info);
    if (!match) throw new Error(`INFO cpu has no ${name}`);
    return Number(match[1]);
  };
  return value('used_cpu_user') + value('used_cpu_sys');
}

/** CPU seconds spent per request, in µs; null when no request was answered. */
export function microsPerRequest(cpuSeconds: number, requests: number): number | null {
  return requests > 0 ? (cpuSeconds * 1e6) / requests : null;
}

/** What the benches load with: 50 connections, servers on CPU 1, the load generator on CPU 0. */
export const CONNECTIONS = 50;
export const SERVER_CPU = 1;
export const LOADER_CPU = 0;

/** A positive number from the environment (`fallback` when unset or empty); throws otherwise. */
export function positive(name: string, fallback: number, integer = false): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}`);
  return value;
}
