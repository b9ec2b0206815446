import { expect } from 'vitest';
import type { GraphQLDocument, TestApp, TypedDocument } from './app.js';

type Result = Awaited<ReturnType<TestApp['execute']>>;

/** A cached read: its name in the assertions, and how to send it again. */
export interface Read {
  name: string;
  run: () => Promise<Result>;
}

/** A read of `query` with `variables` as `key`, named for the assertions. */
export function readOf(
  app: TestApp,
  name: string,
  query: GraphQLDocument,
  variables: Record<string, unknown>,
  key: string,
): Read {
  return { name, run: () => app.execute(query, variables, key) };
}

/** Runs a request that must succeed (a write, or a read outside the cache); returns its data. */
export async function ok<T, V>(
  app: TestApp,
  query: string | TypedDocument<T, V>,
  variables: V,
  key: string,
): Promise<T> {
  const res = await app.execute(query, variables, key);
  expect(res.body.errors, String(query)).toBeUndefined();
  return res.data;
}

/** Each read: MISS, then HIT with the same body. Returns the data, by name. */
export async function cacheAll(reads: Read[]) {
  const data: Record<string, any> = {};
  for (const r of reads) {
    const first = await r.run();
    expect(first.body.errors, r.name).toBeUndefined();
    expect(first.headers.get('x-cache'), r.name).toBe('MISS');
    const second = await r.run();
    expect(second.headers.get('x-cache'), r.name).toBe('HIT');
    expect(second.data, r.name).toEqual(first.data);
    data[r.name] = first.data;
  }
  return data;
}

/** X-Cache of each read, by name (each read is sent once). */
export async function cacheStates(reads: Read[]) {
  const found: Record<string, string | null> = {};
  for (const r of reads) found[r.name] = (await r.run()).headers.get('x-cache');
  return found;
}

/** What cacheStates should find: MISS for the `stale` reads, HIT for the others. */
export const expectedStates = (reads: Read[], stale: string[]) =>
  Object.fromEntries(reads.map((r) => [r.name, stale.includes(r.name) ? 'MISS' : 'HIT']));
