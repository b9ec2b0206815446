import { describe, expect } from 'vitest';
import { Service } from '../../src/db/entities/service.entity.js';
import { codes, dialects, OPS_TOKEN, sharedRedisCache } from '../support/app.js';
import { createTestTenant, test, useTestApp } from '../support/fixtures.js';
import { waitUntil } from '../support/wait.js';
import { applyPatch, LIVE_SERVICES, listReads, openLive, sleep, UPDATE_PRICE } from './sse.js';

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

  test('a client may ask for JSON patches after the first result', async ({
    app,
    tenant,
    provider,
  }) => {
    const { user, services } = await provider('Tom', {
      services: [
        ['Tom cut', 3000],
        ['Tom shave', 2000],
      ],
    });
    const whole = await openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    const patched = await openLive(
      app.baseUrl,
      tenant.key,
      LIVE_SERVICES,
      { u: user.id },
      {
        extensions: { live: { patches: true } },
      },
    );
    const [[first], [base]] = await Promise.all([whole.nexts(1), patched.nexts(1)]);
    // The first event is the whole result either way; with patches it carries its revision.
    expect(base.data).toEqual(first.data);
    expect(base.revision).toBe(1);
    expect(first.revision).toBeUndefined();
    await app.execute(UPDATE_PRICE, { id: services[1].id, p: 2500 }, tenant.key);
    const [[, second], [, change]] = await Promise.all([whole.nexts(2), patched.nexts(2)]);
    expect(change.revision).toBe(2);
    expect(change.data).toBeUndefined();
    expect(change.patch).toEqual([{ op: 'replace', path: '/services/1/priceCents', value: 2500 }]);
    expect(applyPatch(base.data, change.patch)).toEqual(second.data);
    // A client that joins later starts at revision 1 with the whole result, as the
    // @n1ru4l/graphql-live-query-patch client expects, and gets the next change as revision 2.
    const late = await openLive(
      app.baseUrl,
      tenant.key,
      LIVE_SERVICES,
      { u: user.id },
      {
        extensions: { live: { patches: true } },
      },
    );
    const [joined] = await late.nexts(1);
    expect(joined).toMatchObject({ revision: 1, data: second.data });
    await app.execute(UPDATE_PRICE, { id: services[0].id, p: 3100 }, tenant.key);
    const [[, , third], [, , again], [, next]] = await Promise.all([
      whole.nexts(3),
      patched.nexts(3),
      late.nexts(2),
    ]);
    expect(again.revision).toBe(3);
    expect(next.revision).toBe(2);
    expect(applyPatch(second.data, again.patch)).toEqual(third.data);
    expect(applyPatch(joined.data, next.patch)).toEqual(third.data);
    for (const s of [whole, patched, late]) s.close();
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

  test('query limits apply to a live query as to any other', async ({ app, tenant }) => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: stores { id }`).join(' ');
    const stream = await openLive(app.baseUrl, tenant.key, `query Wide @live { ${aliases} }`);
    const events = await stream.ended;
    expect(events.map((e) => e.event)).toEqual(['next', 'complete']);
    expect(JSON.parse(events[0].data).errors[0].extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'aliases',
    });
  });

  test("an operator's invalidation reaches live results too", async ({ app, tenant, provider }) => {
    const { user, services } = await provider('Quim', { via: 'db' });
    const stream = await openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    await stream.nexts(1);
    // Changed behind the API's back; the operator tells the cache.
    await app.db.getRepository(Service).update(services[0].id, { priceCents: 3333 });
    const invalidated = await app.execute(
      'mutation($u: ID!) { invalidateServices(userId: $u) { invalidatedEntities } }',
      { u: user.id },
      OPS_TOKEN,
    );
    expect(invalidated.body.errors).toBeUndefined();
    const [, pushed] = await stream.nexts(2);
    expect(pushed.data.services[0].priceCents).toBe(3333);
    stream.close();
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

  test('a client that reconnects gets the current result first', async ({
    app,
    tenant,
    provider,
  }) => {
    const { user, services } = await provider('Noa');
    const first = await openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    await first.nexts(1);
    first.close();
    await waitUntil(() => app.app.live.counts().groups === 0, 2_000);
    // Changed while nobody watched: the new stream starts from the new result.
    await app.execute(UPDATE_PRICE, { id: services[0].id, p: 1234 }, tenant.key);
    const again = await openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    const [current] = await again.nexts(1);
    expect(current.data.services[0].priceCents).toBe(1234);
    // And one that joins a group already open gets the group's current result at once.
    const joiner = await openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    const [joined] = await joiner.nexts(1);
    expect(joined.data).toEqual(current.data);
    again.close();
    joiner.close();
  });

  test('/metrics shows streams, groups, pushes, executions and the push latency', async ({
    app,
    tenant,
    provider,
  }) => {
    const { user, services } = await provider('Olga');
    const stream = await openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    await stream.nexts(1);
    await app.execute(UPDATE_PRICE, { id: services[0].id, p: 999 }, tenant.key);
    await stream.nexts(2);
    const metrics = await (
      await app.request('/metrics', { headers: { authorization: `Bearer ${OPS_TOKEN}` } })
    ).text();
    expect(metrics).toMatch(/^hotpath_live_streams [1-9]/m);
    expect(metrics).toMatch(/^hotpath_live_groups [1-9]/m);
    expect(metrics).toMatch(/^hotpath_live_pushes_total [1-9]/m);
    expect(metrics).toMatch(
      /^hotpath_live_executions_total\{reason="invalidation",cache="MISS"\} [1-9]/m,
    );
    expect(metrics).toMatch(/^hotpath_live_push_latency_seconds_count [1-9]/m);
    stream.close();
  });
});

describe('live queries: the instance bounds (sqlite)', () => {
  useTestApp('sqlite', {
    via: 'http',
    cache: sharedRedisCache(),
    live: { maxStreams: 2, maxGroups: 1, maxResultBytes: 250 },
  });

  test('streams and groups are capped per process; a result past its bound ends the stream', async ({
    app,
    tenant,
    provider,
  }) => {
    const { user, services } = await provider('Pia');
    const first = await openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    await first.nexts(1);
    // A second document would be a second group: refused, with the bound named.
    const other = await openLive(app.baseUrl, tenant.key, 'query O @live { stores { id } }');
    expect(other.status).toBe(503);
    expect((await other.nexts(1))[0].errors[0].extensions).toMatchObject({
      code: 'LIVE_LIMIT_EXCEEDED',
      limit: 'groups',
    });
    const second = await openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    await second.nexts(1);
    const third = await openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    expect(third.status).toBe(503);
    expect((await third.nexts(1))[0].errors[0].extensions.limit).toBe('streams');
    // A longer name makes the result pass LIVE_MAX_RESULT_BYTES: its streams end, coded.
    await app.execute(
      'mutation($id: ID!, $n: String!) { updateService(id: $id, input: { name: $n }) { id } }',
      { id: services[0].id, n: 'x'.repeat(200) },
      tenant.key,
    );
    const events = await first.ended;
    expect(JSON.parse(events.at(-2)?.data ?? '{}').errors[0].extensions.limit).toBe('resultBytes');
    await second.ended;
  });
});
