import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_TENANTS } from '../src/db/seed.js';
import { localDate } from '../src/time.js';

/** `npm start` as a newcomer runs it: embedded defaults, demo data, printed keys. */
function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      CACHE_WARM_INTERVAL: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const printed = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const match = output.match(pattern);
        if (match) {
          clearInterval(poll);
          resolve(match);
        } else if (Date.now() - started > timeoutMs || child.exitCode !== null) {
          clearInterval(poll);
          reject(new Error(`never printed ${pattern}:\n${output}`));
        }
      }, 50);
    });
  return { child, exited, printed, output: () => output };
}

describe('npm start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hotpath-start-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves today's agenda with the printed demo key, then shuts down cleanly", async () => {
    const app = start({ SQLITE_PATH: join(dir, 'hotpath.sqlite'), PORT: '0' });
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
    const app = start({
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
