import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, dialects, OPS_TOKEN, type TestApp } from '../support/app.js';
import { CREATE_SERVICE, SERVICES_AND_USER } from '../support/documents.js';
import { createProvider } from '../support/fixtures.js';
import { freePort, type RedisServer, startRedisServer } from '../support/redis.js';
import { waitUntil } from '../support/wait.js';

// DESIGN §7: a failing Redis costs at most the timeout, never a failed request, never a crash.

const CACHE_STATS = '{ cacheStats { backend connected fallbackActive fallbackSince errors } }';

const TIMEOUT_MS = 50;
const PROBE_MS = 200;
/** No single request may take longer than this, whatever Redis does. */
const MAX_REQUEST_MS = 1_000;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  // Late rejections (a probe, a reconnect) would land after the test body.
  await sleep(50);
  expect(unhandled).toEqual([]);
});

function percentile(values: number[], p: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

interface Sample {
  startedAt: number;
  ms: number;
  status: number;
  xCache: string | null;
  data: unknown;
  errors: unknown;
}

/** The app's cache state as an operator and /health see it. */
async function observed(app: TestApp) {
  const stats = await app.execute(CACHE_STATS, {}, OPS_TOKEN);
  expect(stats.status).toBe(200);
  expect(stats.body.errors).toBeUndefined();
  const health = await app.request('/health');
  return {
    stats: stats.data.cacheStats as {
      backend: string;
      connected: boolean;
      fallbackActive: boolean;
      fallbackSince: string | null;
      errors: number;
    },
    healthStatus: health.status,
    health: (await health.json()) as {
      status: string;
      cache: { status: string; fallbackActive: boolean; fallbackSince: string | null };
    },
  };
}

/**
 * A provider with two services, written straight to the database (no invalidation that could
 * open the breaker before the test means it to); returns what SERVICES_AND_USER must answer for it.
 */
async function provider(app: TestApp, tenantId: string, name: string) {
  const services = [
    [`${name} cut`, 3000],
    [`${name} wash`, 1500],
  ] as const;
  const made = await createProvider(app, { tenantId }, name, { via: 'db', services });
  return {
    user: made.user,
    expected: { services: made.services, user: { id: made.user.id, name } },
  };
}

/**
 * Plays a Redis that lets the client connect and pass its ready check (CLIENT SETINFO, INFO),
 * then never answers another command: every cache call has to end by its timeout.
 */
function answerHandshakeOnly(socket: Socket) {
  let pending = '';
  let silent = false;
  socket.on('data', (chunk) => {
    pending += chunk.toString();
    // Commands arrive as RESP arrays of bulk strings: *<n>\r\n($<len>\r\n<arg>\r\n){n}
    for (;;) {
      const command = /^\*(\d+)\r\n/.exec(pending);
      if (!command) return;
      let at = command[0].length;
      const args: string[] = [];
      for (let i = 0; i < Number(command[1]); i++) {
        const bulk = /^\$(\d+)\r\n/.exec(pending.slice(at));
        if (!bulk || pending.length < at + bulk[0].length + Number(bulk[1]) + 2) return;
        at += bulk[0].length;
        args.push(pending.slice(at, at + Number(bulk[1])));
        at += Number(bulk[1]) + 2;
      }
      pending = pending.slice(at);
      const name = args[0]?.toLowerCase();
      if (silent) continue;
      if (name === 'client') {
        socket.write('+OK\r\n');
      } else if (name === 'info') {
        const info = 'redis_version:7.0.0\r\nloading:0\r\n';
        socket.write(`$${Buffer.byteLength(info)}\r\n${info}\r\n`);
      } else {
        silent = true; // replies go in order: after the first unanswered one, none at all
      }
    }
  });
}

/** Sends SERVICES_AND_USER in `concurrency` loops until stop() is called (or a hard cap is reached). */
function startLoad(app: TestApp, key: string, userId: string, concurrency = 4) {
  const samples: Sample[] = [];
  let stopped = false;
  const deadline = performance.now() + 20_000;
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stopped && performance.now() < deadline && samples.length < 20_000) {
      const startedAt = performance.now();
      const res = await app.execute(SERVICES_AND_USER, { u: userId }, key);
      samples.push({
        startedAt,
        ms: performance.now() - startedAt,
        status: res.status,
        xCache: res.headers.get('x-cache'),
        data: res.data,
        errors: res.body.errors,
      });
      // In process, a request that needs no I/O (SQLite, an open breaker) is all microtasks:
      // without this turn of the event loop, 4 loops would starve every timer (the probe, the
      // test's own polling). Over HTTP, the socket does this.
      await new Promise((resolve) => setImmediate(resolve));
    }
  });
  return {
    samples,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return samples;
    },
  };
}

describe.each(dialects)('when Redis fails (%s)', (dialect) => {
  let redis: RedisServer | undefined;
  let app: TestApp | undefined;

  afterEach(async () => {
    await app?.close();
    await redis?.stop();
    app = undefined;
    redis = undefined;
  });

  /**
   * `redisDown`: nothing answers at `redisUrl` yet, so start() would wait its whole 3 s for a
   * connection that can't come; the app starts serving from the database at once either way.
   */
  const build = (redisUrl: string, { redisDown = false } = {}) =>
    buildTestApp(dialect, {
      cache: { backend: 'REDIS', redisUrl, timeoutMs: TIMEOUT_MS, probeIntervalMs: PROBE_MS },
      ...(redisDown ? { cacheReadyMs: 100 } : {}),
    });

  it('keeps answering 200 with correct data while Redis is killed, and resumes caching when it returns', async () => {
    redis = await startRedisServer();
    const a = await build(redis.url);
    app = a;
    const { tenant, key } = await a.createTenant('Outage');
    const busy = await provider(a, tenant.id, 'Busy');
    const quiet = await provider(a, tenant.id, 'Quiet');

    expect(
      (await a.execute(SERVICES_AND_USER, { u: busy.user.id }, key)).headers.get('x-cache'),
    ).toBe('MISS');
    expect(
      (await a.execute(SERVICES_AND_USER, { u: quiet.user.id }, key)).headers.get('x-cache'),
    ).toBe('MISS');
    const before = await observed(a);
    expect(before.stats).toMatchObject({ backend: 'REDIS', fallbackActive: false });
    expect(before.health.status).toBe('ok');

    const load = startLoad(a, key, busy.user.id);
    await sleep(500);

    const killedAt = performance.now();
    redis.kill();
    const openedIn = await waitUntil(
      () => a.app.cache.store?.state().fallbackActive === true,
      3_000,
    );
    const openedAt = performance.now();

    const down = await observed(a);
    expect(down.stats.fallbackActive).toBe(true);
    expect(down.stats.connected).toBe(false);
    expect(down.stats.errors).toBeGreaterThan(0);
    expect(down.stats.fallbackSince).not.toBeNull();
    const since = Date.parse(down.stats.fallbackSince as string);
    expect(Math.abs(since - Date.now())).toBeLessThan(5_000);
    expect(down.healthStatus).toBe(200);
    expect(down.health.status).toBe('degraded');
    expect(down.health.cache).toMatchObject({ status: 'fallback', fallbackActive: true });

    // A write during the outage: its invalidation can't reach Redis, and must not be lost.
    const added = await a.execute(
      CREATE_SERVICE,
      { i: { userId: quiet.user.id, name: 'Quiet brows', durationMinutes: 20, priceCents: 2000 } },
      key,
    );
    expect(added.status).toBe(200);
    expect(added.body.errors).toBeUndefined();
    const quietNow = {
      ...quiet.expected,
      services: [
        { id: added.data.createService.id, name: 'Quiet brows', priceCents: 2000 },
        ...quiet.expected.services,
      ],
    };
    const duringOutage = await a.execute(SERVICES_AND_USER, { u: quiet.user.id }, key);
    expect(duringOutage.headers.get('x-cache')).toBe('BYPASS');
    expect(duringOutage.data).toEqual(quietNow);

    await sleep(1_500);
    const restartingAt = performance.now();
    await redis.restart();
    const restartedAt = performance.now();
    const resumedIn = await waitUntil(
      () => load.samples.some((s) => s.startedAt > restartedAt && s.xCache === 'HIT'),
      5_000,
    );
    const samples = await load.stop();

    for (const sample of samples) {
      expect(sample.status).toBe(200);
      expect(sample.errors).toBeUndefined();
      expect(sample.data).toEqual(busy.expected);
    }
    const warm = samples.filter((s) => s.startedAt + s.ms < killedAt);
    const outage = samples.filter((s) => s.startedAt >= killedAt && s.startedAt < restartingAt);
    const open = outage.filter((s) => s.startedAt >= openedAt);
    expect(warm.length).toBeGreaterThan(10);
    // Before the kill: hits (a busy machine may let one lookup overrun the 50 ms timeout).
    const warmHits = warm.filter((s) => s.xCache === 'HIT').length;
    expect(warmHits / warm.length).toBeGreaterThan(0.9);
    expect(open.length).toBeGreaterThan(10);
    expect(open.every((s) => s.xCache === 'BYPASS')).toBe(true);

    const warmP99 = percentile(
      warm.map((s) => s.ms),
      99,
    );
    const outageP99 = percentile(
      outage.map((s) => s.ms),
      99,
    );
    console.log(
      `[${dialect}] Redis killed under load: ${samples.length} requests, 0 failed ` +
        `(${warmHits}/${warm.length} hits before the kill); ` +
        `breaker open after ${openedIn} ms; p99 ${warmP99.toFixed(1)} ms warm, ` +
        `${outageP99.toFixed(1)} ms during the outage (${outage.length} requests, max ` +
        `${Math.max(...outage.map((s) => s.ms)).toFixed(1)} ms); caching resumed ` +
        `${resumedIn} ms after Redis answered again`,
    );
    expect(outageP99).toBeLessThan(MAX_REQUEST_MS);
    expect(Math.max(...samples.map((s) => s.ms))).toBeLessThan(MAX_REQUEST_MS);

    const up = await observed(a);
    expect(up.stats).toMatchObject({ fallbackActive: false, fallbackSince: null, connected: true });
    expect(up.healthStatus).toBe(200);
    expect(up.health.status).toBe('ok');
    expect(up.health.cache).toMatchObject({ status: 'ok', fallbackActive: false });

    // The epoch exists (created by the first lookup); the outbox, not an epoch bump, made the
    // write during the outage good before the store was trusted again.
    const raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await raw.connect();
      expect(Number(await raw.get(`${a.cacheConfig.prefix}:epoch`))).toBeGreaterThanOrEqual(1);
    } finally {
      raw.disconnect();
    }

    const afterMiss = await a.execute(SERVICES_AND_USER, { u: quiet.user.id }, key);
    expect(afterMiss.headers.get('x-cache')).toBe('MISS');
    expect(afterMiss.data).toEqual(quietNow);
    const afterHit = await a.execute(SERVICES_AND_USER, { u: quiet.user.id }, key);
    expect(afterHit.headers.get('x-cache')).toBe('HIT');
    expect(afterHit.data).toEqual(quietNow);
  });

  it('serves no entry from before an outage that kept its data (the outbox applied on recovery)', async () => {
    redis = await startRedisServer();
    const a = await build(redis.url);
    app = a;
    const { tenant, key } = await a.createTenant('Paused');
    const { user, expected } = await provider(a, tenant.id, 'Paula');
    expect((await a.execute(SERVICES_AND_USER, { u: user.id }, key)).headers.get('x-cache')).toBe(
      'MISS',
    );
    expect((await a.execute(SERVICES_AND_USER, { u: user.id }, key)).headers.get('x-cache')).toBe(
      'HIT',
    );

    // Redis keeps its data but stops answering: every command of the app times out.
    const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await admin.connect();
      await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
    } finally {
      admin.disconnect();
    }
    const pausedAt = performance.now();
    for (let i = 0; i < 3; i++) {
      const res = await a.execute(SERVICES_AND_USER, { u: user.id }, key);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-cache')).toBe('BYPASS');
      expect(res.data).toEqual(expected);
    }
    await waitUntil(() => a.app.cache.store?.state().fallbackActive === true, 1_000);
    // The breaker is open, so this write's invalidation is never sent: the entry above stays.
    const added = await a.execute(
      CREATE_SERVICE,
      { i: { userId: user.id, name: 'Paula brows', durationMinutes: 20, priceCents: 2000 } },
      key,
    );
    expect(added.body.errors).toBeUndefined();
    expect(performance.now() - pausedAt).toBeLessThan(1_400);
    const now = {
      ...expected,
      services: [
        { id: added.data.createService.id, name: 'Paula brows', priceCents: 2000 },
        ...expected.services,
      ],
    };

    await waitUntil(() => a.app.cache.store?.state().fallbackActive === false, 5_000);
    const first = await a.execute(SERVICES_AND_USER, { u: user.id }, key);
    expect(first.data).toEqual(now);
    expect(first.headers.get('x-cache')).toBe('MISS');
    const second = await a.execute(SERVICES_AND_USER, { u: user.id }, key);
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.data).toEqual(now);
  });

  it('keeps the cache across an outage without writes: nothing to make stale, no epoch bump', async () => {
    redis = await startRedisServer();
    const a = await build(redis.url);
    app = a;
    const { tenant, key } = await a.createTenant('Quiet');
    const { user, expected } = await provider(a, tenant.id, 'Quinn');
    expect((await a.execute(SERVICES_AND_USER, { u: user.id }, key)).headers.get('x-cache')).toBe(
      'MISS',
    );

    const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await admin.connect();
      await admin.call('CLIENT', 'PAUSE', '1000', 'ALL');
    } finally {
      admin.disconnect();
    }
    for (let i = 0; i < 3; i++) await a.execute(SERVICES_AND_USER, { u: user.id }, key);
    await waitUntil(() => a.app.cache.store?.state().fallbackActive === true, 1_000);
    await waitUntil(() => a.app.cache.store?.state().fallbackActive === false, 5_000);

    const after = await a.execute(SERVICES_AND_USER, { u: user.id }, key);
    expect(after.headers.get('x-cache')).toBe('HIT');
    expect(after.data).toEqual(expected);
  });

  it('answers within the timeout when Redis accepts connections but never replies', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      answerHandshakeOnly(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const a = await build(`redis://127.0.0.1:${address.port}`);
      app = a;
      expect(a.app.cache.connected()).toBe(true); // ready, but nothing will ever answer
      const { tenant, key } = await a.createTenant('Silent');
      const { user, expected } = await provider(a, tenant.id, 'Sil');
      const timings: number[] = [];
      for (let i = 0; i < 30; i++) {
        const started = performance.now();
        const res = await a.execute(SERVICES_AND_USER, { u: user.id }, key);
        timings.push(performance.now() - started);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-cache')).toBe('BYPASS');
        expect(res.data).toEqual(expected);
      }
      expect(a.app.cache.store?.state().fallbackActive).toBe(true);
      const down = await observed(a);
      expect(down.health.status).toBe('degraded');
      expect(down.stats.fallbackActive).toBe(true);
      expect(down.stats.errors).toBeGreaterThanOrEqual(3);
      console.log(`[${dialect}] silent Redis: ${timings.map((ms) => ms.toFixed(0)).join(', ')} ms`);
      // The first requests wait for the timeout; once a confirming PING has also gone
      // unanswered (500 ms) the breaker is open and they don't. Never a hang.
      expect(timings[0]).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      expect(Math.max(...timings)).toBeLessThan(MAX_REQUEST_MS);
      expect(percentile(timings.slice(20), 50)).toBeLessThan(TIMEOUT_MS);
    } finally {
      await app?.close();
      app = undefined;
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('starts with Redis down, serves from the database, and caches once Redis comes up', async () => {
    redis = await startRedisServer();
    await redis.stop(); // its port is free now; restart() brings it back on the same one
    const a = await build(redis.url, { redisDown: true });
    app = a;
    expect(a.app.cache.connected()).toBe(false);
    const { tenant, key } = await a.createTenant('Cold start');
    const { user, expected } = await provider(a, tenant.id, 'Cora');
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const res = await a.execute(SERVICES_AND_USER, { u: user.id }, key);
      expect(performance.now() - started).toBeLessThan(MAX_REQUEST_MS);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-cache')).toBe('BYPASS');
      expect(res.data).toEqual(expected);
    }
    await waitUntil(() => a.app.cache.store?.state().fallbackActive === true, 2_000);
    const down = await observed(a);
    expect(down.healthStatus).toBe(200);
    expect(down.health.status).toBe('degraded');
    expect(down.stats.fallbackActive).toBe(true);

    await redis.restart();
    const resumedIn = await waitUntil(
      async () =>
        (await a.execute(SERVICES_AND_USER, { u: user.id }, key)).headers.get('x-cache') === 'HIT',
      5_000,
    );
    console.log(`[${dialect}] Redis down at start: caching began ${resumedIn} ms after it came up`);
    const hit = await a.execute(SERVICES_AND_USER, { u: user.id }, key);
    expect(hit.data).toEqual(expected);
    expect((await observed(a)).health.status).toBe('ok');
  });

  it('survives a port where nothing ever listens', async () => {
    const a = await build(`redis://127.0.0.1:${await freePort()}`, { redisDown: true });
    app = a;
    const { tenant, key } = await a.createTenant('Nobody');
    const { user, expected } = await provider(a, tenant.id, 'Nina');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => a.execute(SERVICES_AND_USER, { u: user.id }, key)),
    );
    for (const res of results) {
      expect(res.status).toBe(200);
      expect(res.headers.get('x-cache')).toBe('BYPASS');
      expect(res.data).toEqual(expected);
    }
    await waitUntil(() => a.app.cache.store?.state().fallbackActive === true, 2_000);
    expect((await observed(a)).health.status).toBe('degraded');
    await sleep(PROBE_MS * 3); // a few failed probes, none of them an unhandled rejection
  });
});
