import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEMO_USER,
  HUGE_TEMPLATE,
  hostileRequests,
  sendHostile,
} from '../bench/hostile-requests.js';
import { startMain } from './support/process.js';
import { sharedRedisUrl } from './support/redis.js';

/**
 * Issue 6 tried again as a hostile client would, against a real `src/main.ts` process with the
 * default limits: no 5xx, a code on every error, no stack trace, and the process still serves.
 */
describe.each([
  ['memory', {}],
  [
    'Redis',
    { REDIS_URL: sharedRedisUrl(), CACHE_PREFIX: `hp-hostile-${randomBytes(4).toString('hex')}` },
  ],
])('hostile requests against npm start, cache on %s', (backend, env) => {
  const dir = mkdtempSync(join(tmpdir(), 'hotpath-hostile-'));
  const app = startMain({ SQLITE_PATH: join(dir, 'hotpath.sqlite'), PORT: '0', ...env });
  afterAll(() => {
    app.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every one with a code and below 500, and keeps serving', async () => {
    const [, url] = await app.printed(/listening on (http:\/\/\S+)\/graphql/);
    const [, key] = await app.printed(/Demo API key of .+: (hp_\S+)/);
    const stored = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: HUGE_TEMPLATE.query, variables: HUGE_TEMPLATE.variables() }),
    });
    expect(stored.status).toBe(200);

    const requests = hostileRequests();
    for (let i = 0; i < requests.length; i += 3) {
      const batch = requests.slice(i, i + 3);
      const answers = await Promise.all(batch.map((r) => sendHostile(url, key, r)));
      answers.forEach((answer, j) => {
        const what = `${batch[j].category}: ${batch[j].name} → ${answer.status} ${answer.codes}`;
        expect(answer.status, what).toBeLessThan(500);
        expect(answer.status, what).toBeGreaterThanOrEqual(200);
        for (const code of answer.codes) expect(code, what).toEqual(expect.any(String));
        expect(answer.stack, what).toBe(false);
      });
    }

    expect(app.child.exitCode).toBeNull();
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      cache: { backend: backend === 'Redis' ? 'REDIS' : 'MEMORY', fallbackActive: false },
    });
    const ask = () =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({
          query: 'query($u: ID!) { user(id: $u) { name services { name } } }',
          variables: { u: DEMO_USER },
        }),
      });
    expect((await ask()).headers.get('x-cache')).toBe('MISS');
    const again = await ask();
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(((await again.json()) as any).data.user.services.length).toBeGreaterThan(0);
  });
});
