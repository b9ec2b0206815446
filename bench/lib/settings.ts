/** The knobs every bench reads the same way from the environment (BENCH_*). */

/** A positive number from the environment (`fallback` when unset or empty); throws otherwise. */
export function positive(name: string, fallback: number, integer = false): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}`);
  return value;
}

/** BENCH_REDIS_URL: the Redis the Redis-backed targets use. */
export const benchRedisUrl = () => process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
