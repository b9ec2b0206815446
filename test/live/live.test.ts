import { describe, expect } from 'vitest';
import { dialects, sharedRedisCache } from '../support/app.js';
import { test, useTestApp } from '../support/fixtures.js';
import { openLive, sleep } from './sse.js';

const LIVE_SERVICES = `query LiveServices($u: ID!) @live { services(userId: $u) { id name priceCents } }`;
const UPDATE_PRICE = `mutation Price($id: ID!, $p: Int!) { updateService(id: $id, input: { priceCents: $p }) { id } }`;

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

    // The same price again: the tags are invalidated, the result is the same, nothing is sent.
    await app.execute(UPDATE_PRICE, { id: services[0].id, p: 4100 }, tenant.key);
    await sleep(400);
    expect(stream.events.filter((e) => e.event === 'next')).toHaveLength(2);
    stream.close();
  });
});
