/** The Redis keys a bench leaves: every run keeps them under its own prefix and removes them. */
import type { Redis } from 'ioredis';

/** Every key matching `pattern`, by SCAN (never KEYS: the Redis is shared). */
export async function scanKeys(redis: Redis, pattern: string, count = 500): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/** Unlinks every key matching `pattern`, 500 at a time; how many there were. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  const keys = await scanKeys(redis, pattern);
  let deleted = 0;
  for (let i = 0; i < keys.length; i += 500)
    deleted += await redis.unlink(...keys.slice(i, i + 500));
  return deleted;
}

/** Calls per command from the text of `INFO commandstats` (cmdstat_<name>:calls=…). */
export function commandCalls(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1], Number(m[2]));
  return calls;
}
