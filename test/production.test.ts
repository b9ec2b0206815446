import { type ChildProcess, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/data-source.js';
import { Service } from '../src/db/entities/service.entity.js';
import { type GraphQLDocument, postgresUrl } from './support/app.js';
import { CREATE_SERVICE, SERVICES } from './support/documents.js';
import { startMain } from './support/process.js';
import { sharedRedisUrl } from './support/redis.js';

// The production build: `npm run build` compiles to dist/, `node dist/main.js` serves, and a
// SIGTERM under load loses nothing.

const OPS = `ops-${randomBytes(12).toString('hex')}`;
const schema = `hp_prod_${randomBytes(5).toString('hex')}`;
const prefix = `hp-prod-${randomBytes(4).toString('hex')}`;

/** `node dist/main.js` with production settings; `url` resolves once it listens. */
function startBuilt() {
  const app = startMain(
    {
      NODE_ENV: 'production',
      OPS_TOKEN: OPS,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: postgresUrl(),
      DATABASE_SCHEMA: schema,
      REDIS_URL: sharedRedisUrl(),
      CACHE_PREFIX: prefix,
      CACHE_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'info',
      SHUTDOWN_DELAY_MS: '1000',
    },
    undefined,
    ['--enable-source-maps', 'dist/main.js'],
  );
  const url = app
    .printed(/listening on http:\/\/localhost:(\d+)\/graphql/)
    .then(([, port]) => `http://127.0.0.1:${port}`);
  return { ...app, url };
}

/** `key` is always named: a tenant's key, or OPS for an operator (who bypasses the cache). */
async function gql(base: string, query: GraphQLDocument, variables: object, key: string) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: String(query), variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  return { status: res.status, xCache: res.headers.get('x-cache'), body };
}

describe('node dist/main.js', () => {
  const children: ChildProcess[] = [];
  let tenantKey = '';
  let userId = '';

  beforeAll(async () => {
    // The same command CI and the Dockerfile run.
    await promisify(execFile)('npm', ['run', 'build'], { timeout: 170_000 });
  }, 180_000);
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    const db = await openDatabase({ url: postgresUrl(), sqlitePath: '' });
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.destroy();
  });

  it('starts in production mode and serves: probes, operators, tenants, the cache', async () => {
    const app = startBuilt();
    children.push(app.child);
    const base = await app.url;
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', migrations: 'done' });
    expect((await fetch(`${base}/health`)).status).toBe(200);
    // Static files the build copies next to the compiled code (src/ops/assets → dist/).
    const ops = await fetch(`${base}/ops`);
    expect(ops.status).toBe(200);
    expect(await ops.text()).toContain('<html');
    // No GraphiQL and no demo data in production.
    expect(app.output()).not.toMatch(/Demo API key/);

    const tenant = await gql(base, 'mutation { createTenant(name: "Prod") { id } }', {}, OPS);
    expect(tenant.body.errors).toBeUndefined();
    const tenantId = tenant.body.data.createTenant.id;
    const key = await gql(base, `mutation { createApiKey(tenantId: "${tenantId}") }`, {}, OPS);
    tenantKey = key.body.data.createApiKey;
    const user = await gql(
      base,
      `mutation { createUser(input: {tenantId: "${tenantId}", name: "Rita", plan: PRO}) { id } }`,
      {},
      OPS,
    );
    userId = user.body.data.createUser.id;
    const first = await gql(base, SERVICES, { u: userId }, tenantKey);
    expect(first).toMatchObject({ status: 200, xCache: 'MISS', body: { data: { services: [] } } });
    const second = await gql(base, SERVICES, { u: userId }, tenantKey);
    expect(second).toMatchObject({ status: 200, xCache: 'HIT', body: { data: { services: [] } } });

    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
  }, 90_000);

  it('SIGTERM under load: 0 failed requests, every write applied and invalidated', async () => {
    const app = startBuilt();
    children.push(app.child);
    const base = await app.url;
    // A load balancer: it polls /readyz and sends nothing new once it answers 503.
    let routed = true;
    let sawNotReady = false;
    const balancer = (async () => {
      while (routed) {
        const res = await fetch(`${base}/readyz`).catch(() => null);
        if (res?.status === 503) {
          sawNotReady = true;
          routed = false;
        }
        await sleep(25);
      }
    })();
    const results: { ok: boolean; what: string }[] = [];
    const written: string[] = [];
    const reader = async () => {
      while (routed) {
        const res = await gql(base, SERVICES, { u: userId }, tenantKey).catch(
          (e: Error) => ({ status: 0, body: { errors: [e.message] } }) as const,
        );
        results.push({ ok: res.status === 200 && !res.body.errors, what: `read ${res.status}` });
      }
    };
    const writer = async () => {
      for (let i = 0; routed; i++) {
        const name = `Drain ${i}`;
        const res = await gql(
          base,
          CREATE_SERVICE,
          { i: { userId, name, durationMinutes: 30, priceCents: 1000 } },
          tenantKey,
        ).catch((e: Error) => ({ status: 0, body: { errors: [e.message] } }) as const);
        const ok = res.status === 200 && !res.body.errors;
        results.push({ ok, what: `write ${res.status} ${JSON.stringify(res.body.errors ?? '')}` });
        if (ok) written.push(name);
      }
    };
    const load = Promise.all([reader(), reader(), reader(), reader(), writer(), writer()]);
    await sleep(1_000);
    app.child.kill('SIGTERM');
    await Promise.all([load, balancer]);
    const code = await app.exited;
    const failed = results.filter((r) => !r.ok);
    console.log(
      `[drain] ${results.length} requests (${written.length} writes), ${failed.length} failed; exit ${code}`,
    );
    expect(sawNotReady).toBe(true);
    expect(failed).toEqual([]);
    expect(results.length).toBeGreaterThan(20);
    expect(written.length).toBeGreaterThan(2);
    expect(code).toBe(0);
    expect(app.output()).toMatch(/"msg":"drained: exiting"/);

    // Every answered write is in the database, and its invalidation reached Redis: a new
    // instance on the same Redis reads every one of them (a lost invalidation would be a stale HIT).
    const db = await openDatabase({ url: postgresUrl(), sqlitePath: '', schema });
    const stored = await db.getRepository(Service).findBy({ userId });
    await db.destroy();
    expect(stored.map((s) => s.name).sort()).toEqual([...written].sort());
    const next = startBuilt();
    children.push(next.child);
    const nextBase = await next.url;
    const read = await gql(nextBase, SERVICES, { u: userId }, tenantKey);
    expect(read.body.data.services.map((s: { name: string }) => s.name).sort()).toEqual(
      [...written].sort(),
    );
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  }, 120_000);
});
