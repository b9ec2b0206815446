import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_TENANTS } from '../src/db/seed.js';
import { localDate } from '../src/time.js';
import { startMain } from './support/process.js';

describe('npm start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hotpath-start-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves today's agenda with the printed demo key, then shuts down cleanly", async () => {
    const app = startMain({ SQLITE_PATH: join(dir, 'hotpath.sqlite'), PORT: '0' });
    children.push(app.child);
    const [, url] = await app.printed(/listening on (http:\/\/\S+)/);
    const [, name, key] = await app.printed(/Demo API key of (.+): (hp_\S+)/);
    expect(app.output()).toMatch(/Operator token \(generated for this run\): ops_\S+/);
    const tenant = DEMO_TENANTS.find((t) => t.name === name);
    expect(tenant?.apiKey).toBe(key);

    const users = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ stores { id } }' }),
    });
    expect(users.status).toBe(200);

    const firstUser = '00000000-0000-4000-8001-010000000001';
    const today = localDate(new Date(), tenant?.timezone ?? 'UTC');
    const query = `query($u: ID!, $d: Date!) { agenda(userId: $u, date: $d) { date user { name } appointments { clientName } } }`;
    const ask = () =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables: { u: firstUser, d: today } }),
      });
    const first = await ask();
    const body = (await first.json()) as any;
    expect(body.errors).toBeUndefined();
    expect(body.data.agenda.date).toBe(today);
    expect(body.data.agenda.appointments.length).toBeGreaterThan(0);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect((await ask()).headers.get('x-cache')).toBe('HIT');

    const health = await fetch(new URL('/health', url));
    expect(await health.json()).toMatchObject({ status: 'ok', cache: { backend: 'MEMORY' } });

    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
  });

  it('refuses to start in production without OPS_TOKEN, listing every problem', async () => {
    const app = startMain({
      NODE_ENV: 'production',
      PORT: 'not-a-port',
      SQLITE_PATH: join(dir, 'p.sqlite'),
    });
    children.push(app.child);
    expect(await app.exited).toBe(1);
    expect(app.output()).toContain('PORT');
    expect(app.output()).toContain('OPS_TOKEN');
  });
});
