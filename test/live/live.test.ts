import { describe, expect } from 'vitest';
import { codes, dialects, OPS_TOKEN, sharedRedisCache } from '../support/app.js';
import { createTestTenant, test, useTestApp } from '../support/fixtures.js';
import { waitUntil } from '../support/wait.js';
import { LIVE_SERVICES, listReads, openLive, sleep, UPDATE_PRICE } from './sse.js';

describe.each(dialects)('live queries over SSE (%s)', (dialect) => {
  useTestApp(dialect, { via: 'http', cache: sharedRedisCache() });

  test('the first event is the whole result; a write pushes the new one; nothing unchanged', async ({
    app,
    tenant,
    provider,
  }) => {
    const { user, services } = await provider('Ana');
    const stream = await openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    const [first] = await stream.nexts(1);
    expect(first.data.services).toEqual([
      { id: services[0].id, name: 'Ana cut', priceCents: 3000 },
    ]);
    expect(['MISS', 'HIT']).toContain(first.extensions.xCache);

    const written = await app.execute(UPDATE_PRICE, { id: services[0].id, p: 4100 }, tenant.key);
    expect(written.body.errors).toBeUndefined();
    const [, second] = await stream.nexts(2);
    expect(second.data.services[0].priceCents).toBe(4100);
    // Re-executed through the response cache: it stored what it ran, and a plain read hits it.
    expect(second.extensions.xCache).toBe('MISS');
    const plain = await app.execute(
      'query LiveServices($u: ID!) @live { services(userId: $u) { id name priceCents } }',
      { u: user.id },
      tenant.key,
    );
    expect(plain.headers.get('x-cache')).toBe('HIT');

    // The same price again: the tags are invalidated, the result is the same, nothing is sent.
    const executions = app.app.live.counts().executions;
    await app.execute(UPDATE_PRICE, { id: services[0].id, p: 4100 }, tenant.key);
    await sleep(400);
    expect(app.app.live.counts().executions).toBe(executions + 1);
    expect(stream.events.filter((e) => e.event === 'next')).toHaveLength(2);
    stream.close();
  });

  test('a query without @live is answered as before, over SSE or JSON', async ({
    app,
    tenant,
    provider,
  }) => {
    const { user } = await provider('Bia');
    const plain = 'query Plain($u: ID!) { services(userId: $u) { id name } }';
    const sse = await openLive(app.baseUrl, tenant.key, plain, { u: user.id });
    const events = await sse.ended;
    expect(events.map((e) => e.event)).toEqual(['next', 'complete']);
    expect(JSON.parse(events[0].data).data.services[0].name).toBe('Bia cut');
    const json = await app.execute(plain, { u: user.id }, tenant.key);
    expect(json.headers.get('content-type')).toContain('application/json');
    expect(json.data.services[0].name).toBe('Bia cut');
    // @live without Accept: text/event-stream is a plain query too.
    const once = await app.execute(LIVE_SERVICES, { u: user.id }, tenant.key);
    expect(once.data.services[0].name).toBe('Bia cut');
  });

  test('GET with Accept: text/event-stream opens a live query too', async ({
    app,
    tenant,
    provider,
  }) => {
    const { user } = await provider('Gil');
    const stream = await openLive(
      app.baseUrl,
      tenant.key,
      LIVE_SERVICES,
      { u: user.id },
      {
        method: 'GET',
      },
    );
    const [first] = await stream.nexts(1);
    expect(first.data.services[0].name).toBe('Gil cut');
    stream.close();
  });

  test('streams of one (tenant, document, variables) cost one execution per change', async ({
    app,
    tenant,
    provider,
  }) => {
    const { user, services } = await provider('Cris');
    const streams = await Promise.all(
      Array.from({ length: 5 }, () =>
        openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id }),
      ),
    );
    await Promise.all(streams.map((s) => s.nexts(1)));
    const before = app.app.live.counts().executions;
    app.counter.reset();
    await app.execute(UPDATE_PRICE, { id: services[0].id, p: 5000 }, tenant.key);
    const pushed = await Promise.all(streams.map((s) => s.nexts(2)));
    for (const results of pushed) expect(results[1].data.services[0].priceCents).toBe(5000);
    expect(app.app.live.counts().executions).toBe(before + 1);
    // One read of the list from the database, for five clients.
    expect(listReads(app.counter.statements)).toBe(1);
    for (const s of streams) s.close();
  });

  test('tenants never share a group or a push', async ({ app, tenant, provider }) => {
    const { user, services } = await provider('Dora');
    const other = await createTestTenant(app, 'Other');
    const mine = await openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    const theirs = await openLive(app.baseUrl, other.key, LIVE_SERVICES, { u: user.id });
    const [[a], [b]] = await Promise.all([mine.nexts(1), theirs.nexts(1)]);
    expect(a.data.services).toHaveLength(1);
    // Another tenant's provider: nothing of it, whatever the first tenant's stream holds.
    expect(b.data?.services ?? []).toEqual([]);
    await app.execute(UPDATE_PRICE, { id: services[0].id, p: 6000 }, tenant.key);
    await mine.nexts(2);
    await sleep(300);
    const theirNexts = theirs.events.filter((e) => e.event === 'next');
    expect(theirNexts.length).toBeLessThanOrEqual(1);
    expect(JSON.stringify(theirNexts)).not.toContain('Dora');
    mine.close();
    theirs.close();
  });

  test('a document that fails validation ends with its errors, as Yoga answers', async ({
    app,
    tenant,
  }) => {
    const stream = await openLive(app.baseUrl, tenant.key, 'query Bad @live { nope }');
    const events = await stream.ended;
    expect(events.map((e) => e.event)).toEqual(['next', 'complete']);
    expect(codes(JSON.parse(events[0].data))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    await waitUntil(() => app.app.live.counts().streams === 0, 2_000);
  });

  test('a stranger gets its 401 before anything', async ({ app }) => {
    const stream = await openLive(app.baseUrl, null, LIVE_SERVICES, { u: 'x' });
    expect(stream.status).toBe(401);
  });

  test('an operator sees cacheStats live, re-executed on the poll (no tags to watch)', async ({
    app,
  }) => {
    const stream = await openLive(
      app.baseUrl,
      OPS_TOKEN,
      'query Console @live { cacheStats { uptimeSeconds live { streams groups } } }',
    );
    const [first] = await stream.nexts(1);
    expect(first.data.cacheStats.live.streams).toBeGreaterThanOrEqual(1);
    expect(first.extensions.xCache).toBe('BYPASS');
    stream.close();
  });
});
