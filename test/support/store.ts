import { Redis, type RedisOptions } from 'ioredis';
import { expect } from 'vitest';
import type { LookupResult, ResponseStore, SaveEntry } from '../../src/cache/store/store.js';

export type Miss = Extract<LookupResult, { hit: false }>;

/**
 * A store's own Redis client, as the app makes one (no offline queue, one retry), with a
 * generous timeout for a busy machine; kept in `clients` for the file's afterAll to disconnect.
 */
export async function connectRedis(
  url: string,
  clients: Redis[],
  options: RedisOptions = {},
): Promise<Redis> {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    ...options,
  });
  clients.push(client);
  await client.connect();
  return client;
}

/** A lookup (which must miss), then the save under what it saw, as a request does; stored. */
export async function saveAfterMiss(
  store: ResponseStore,
  scope: string,
  key: string,
  entry: Omit<SaveEntry, 'seenSeq' | 'seenEpoch'>,
): Promise<void> {
  const seen = await store.lookup(scope, key);
  if (seen.hit) throw new Error('expected a miss');
  const saved = await store.save(scope, key, {
    ...entry,
    seenSeq: seen.seq,
    seenEpoch: seen.epoch,
  });
  expect(saved).toBe('stored');
}
