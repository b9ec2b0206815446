import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, OPS_TOKEN, type TestApp } from '../support/app.js';

// With CACHE_ENABLED=false there is nothing to look up: the front hands every request to Yoga
// unkeyed, and the hit path's memos (request bodies, query strings, document hashes) keep
// nothing of it. The document hashes' memo is the process's: an earlier test file sharing this
// process may have left entries in it, so what is compared is the bytes before and after.

/** hotpath_memory_bytes{structure="key_memo"} from /metrics (0 when absent). */
async function keyMemoBytes(app: TestApp): Promise<number> {
  const scrape = await app.request('/metrics', {
    headers: { authorization: `Bearer ${OPS_TOKEN}` },
  });
  const line = (await scrape.text())
    .split('\n')
    .find((l) => l.startsWith('hotpath_memory_bytes{structure="key_memo"}'));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('the front with the cache off', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp('sqlite', { via: 'http' });
  });
  afterAll(() => app?.close());

  it('keys nothing and remembers no request, POST or GET', async () => {
    const { tenant, key } = await app.createTenant('Cache off');
    const user = await app.createUser(tenant.id);
    const before = await keyMemoBytes(app);
    const query = `query Off { user(id: "${user.id}") { id } }`;
    for (let i = 0; i < 3; i++) {
      const res = await app.request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables: { filler: `${i}` } }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-cache')).toBe('BYPASS');
      expect(((await res.json()) as { data: { user: { id: string } } }).data.user.id).toBe(user.id);
    }
    const get = await app.request(`/graphql?query=${encodeURIComponent(query)}`, {
      headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('x-cache')).toBe('BYPASS');
    expect(await keyMemoBytes(app)).toBe(before);
  });
});
