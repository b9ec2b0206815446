import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisConfig } from '../../src/config.js';
import { buildTestApp, type TestApp, testCacheConfig } from './app.js';
import { CREATE_SERVICE, SERVICES } from './documents.js';
import { until } from './redis-topologies.js';

// A tenant read and written while its Redis is failed over or resharded
// (test/cache/failover.both.test.ts, test/cache/reshard.both.test.ts): no request may fail, no read
// may be stale, and caching must resume.

export interface Read {
  startedAt: number;
  status: number;
  errors: unknown;
  xCache: string | null;
  names: string[];
}
export interface Write {
  name: string;
  doneAt: number;
  status: number;
  errors: unknown;
}

/**
 * Two readers and one writer for one tenant until `stopWhen` holds. A read is stale when it
 * started after a write had been answered and does not show that write. The writer writes
 * through `app`, each reader reads through its app of `readVia` (both through `app` unless
 * given: another instance sharing the database and Redis, say).
 */
export async function underLoad(
  app: TestApp,
  key: string,
  userId: string,
  script: (progress: { reads: Read[]; writes: Write[] }) => Promise<void>,
  readVia: readonly TestApp[] = [app, app],
) {
  const reads: Read[] = [];
  const writes: Write[] = [];
  let running = true;
  const reader = async (via: TestApp) => {
    while (running) {
      const startedAt = performance.now();
      const res = await via.execute(SERVICES, { u: userId }, key);
      reads.push({
        startedAt,
        status: res.status,
        errors: res.body.errors,
        xCache: res.headers.get('x-cache'),
        names: (res.data?.services ?? []).map((s: { name: string }) => s.name),
      });
      await sleep(5);
    }
  };
  const writer = async () => {
    for (let i = 0; running; i++) {
      const name = `Write ${i}`;
      const res = await app.execute(
        CREATE_SERVICE,
        { i: { userId, name, durationMinutes: 30, priceCents: 1000 + i } },
        key,
      );
      writes.push({ name, doneAt: performance.now(), status: res.status, errors: res.body.errors });
      await sleep(100);
    }
  };
  const load = Promise.all([...readVia.map(reader), writer()]);
  try {
    await script({ reads, writes });
  } finally {
    running = false;
    await load;
  }
  const failed = [
    ...reads.filter((r) => r.status !== 200 || r.errors),
    ...writes.filter((w) => w.status !== 200 || w.errors),
  ];
  const stale = reads.filter((r) =>
    writes.some((w) => w.doneAt < r.startedAt && w.status === 200 && !r.names.includes(w.name)),
  );
  return { reads, writes, failed, stale };
}

/** Hits among reads that started after `since`. */
export const hitsSince = (reads: Read[], since: number) =>
  reads.filter((r) => r.startedAt > since && r.xCache === 'HIT').length;

/**
 * Waits until 10 reads that started after `since` were hits; when they don't come in time, the
 * error says what those reads were answered with and whether the breaker was open, so that a
 * failure under load can be told apart from one of the failover (it failed once in CI on a
 * busy machine, and passed alone every time).
 */
export async function cachingResumes(app: TestApp, reads: Read[], since: number) {
  try {
    await until('caching resumes', () => hitsSince(reads, since) >= 10, 30_000);
  } catch (error) {
    const outcomes: Record<string, number> = {};
    for (const r of reads) {
      if (r.startedAt > since)
        outcomes[r.xCache ?? 'none'] = (outcomes[r.xCache ?? 'none'] ?? 0) + 1;
    }
    const cache = app.app.cache;
    throw new Error(
      `${(error as Error).message}; reads since: ${JSON.stringify(outcomes)}; breaker open: ${cache.store?.state().fallbackActive}; connected: ${cache.connected()}; client: ${cache.redis?.status}`,
    );
  }
}

/**
 * The load goes on (readers too) until the writer has written at least 6 times in all and
 * twice since `since`. A failover whose invalidation waited out the promotion (the writer
 * blocked in it) and whose caching then resumed at once ended the test after 2 writes, in CI.
 */
export async function writesGoOn(writes: { doneAt: number }[], since: number) {
  await until(
    'the writer writes after the promotion',
    () => writes.length > 5 && writes.filter((w) => w.doneAt > since).length >= 2,
    30_000,
  );
}

/** An app on PostgreSQL caching in `redis`, its store calls timed out at 500 ms. */
export function appOnRedis(redis: RedisConfig): Promise<TestApp> {
  return buildTestApp('postgres', {
    cache: testCacheConfig({ backend: 'REDIS', redis, timeoutMs: 500 }),
  });
}

/** A tenant with its key and a provider, and a key in the Redis Cluster slot of its keys. */
export async function tenantWithSlot(app: TestApp, name: string, provider: string) {
  const { key, tenant } = await app.createTenant(name);
  const user = await app.createUser(tenant.id, provider);
  return { key, tenant, user, slotKey: `${app.cacheConfig.prefix}:{t:${tenant.id}}:seq` };
}
