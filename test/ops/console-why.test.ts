import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, OPS_TOKEN, type TestApp } from '../support/app.js';
import { isLocal, launchChromium, listen } from '../support/browser.js';
import { CREATE_SERVICE, SERVICES } from '../support/documents.js';
import { createProvider, createTestTenant, type TestTenant } from '../support/fixtures.js';

// Issue 18: the console's per-operation table says why each operation missed, and the TTL
// simulator's table answers "what would a longer TTL buy?", both from cacheStats, in Chromium.

const SIMULATION = `{ cacheStats {
  byOperation { operationName reasons { reason count } }
  ttlSimulation { operationName sampled repeatsWithinTtl invalidatedBeforeTtl
    hitRateHalfTtl hitRate hitRateDoubleTtl }
} }`;

describe('the /ops console: why and the TTL simulator', () => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let browser: Browser;
  let tenant: TestTenant;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    // Every key followed (CACHE_TTL_SIM_SAMPLE=1), so the figures are exact.
    app = await buildTestApp('sqlite', { cache: { backend: 'MEMORY', ttlSimSample: 1 } });
    server = await listen(app.app.http);
    tenant = await createTestTenant(app, 'Console why');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await app?.close();
  });

  async function signedIn(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.route('**/*', (route) =>
      isLocal(route.request().url()) ? route.continue() : route.abort(),
    );
    await page.goto(`${server.url}/ops`);
    await page.locator('#token').fill(OPS_TOKEN);
    await page.locator('#signin-form button[type=submit]').click();
    await expect.poll(() => page.locator('#dashboard').isVisible()).toBe(true);
    return page;
  }

  it('shows each reason next to its operation, and the simulated hit rates', async () => {
    const provider = await createProvider(app, tenant, 'Ana');
    const read = async () =>
      (await app.execute(SERVICES, { u: provider.user.id }, tenant.key)).headers.get('x-cache');
    expect(await read()).toBe('MISS');
    expect(await read()).toBe('HIT');
    await app.execute(
      CREATE_SERVICE,
      { i: { userId: provider.user.id, name: 'Beard', durationMinutes: 20, priceCents: 2000 } },
      tenant.key,
    );
    expect(await read()).toBe('MISS'); // invalidated
    expect(await read()).toBe('HIT');

    const told = (await app.execute(SIMULATION, {}, OPS_TOKEN)).data.cacheStats;
    const services = told.byOperation.find(
      (o: { operationName: string }) => o.operationName === 'Services',
    );
    expect(services.reasons).toEqual([
      { reason: 'first', count: 1 },
      { reason: 'invalidated', count: 1 },
    ]);
    const simulated = told.ttlSimulation.find(
      (o: { operationName: string }) => o.operationName === 'Services',
    );
    // MISS, HIT, MISS (invalidated, a new body), HIT: the two hits repeat within the TTL, and
    // whatever the TTL, an invalidated entry is gone: 2 of 4 at every factor.
    expect(simulated).toEqual({
      operationName: 'Services',
      sampled: 4,
      repeatsWithinTtl: 2,
      invalidatedBeforeTtl: 1,
      hitRateHalfTtl: 0.5,
      hitRate: 0.5,
      hitRateDoubleTtl: 0.5,
    });

    const page = await signedIn();
    const row = page.locator('#operations tbody tr', { hasText: 'Services' });
    await expect.poll(() => row.locator('td.reasons').innerText()).toBe('first 1 · invalidated 1');
    const sim = page.locator('#ttl-sim tbody tr[data-operation="Services"]');
    await expect.poll(() => sim.count()).toBe(1);
    expect((await sim.locator('td').allInnerTexts()).map((t) => t.trim())).toEqual([
      'Services',
      '4',
      '2',
      '1',
      '50.0%',
      '50.0%',
      '50.0%',
    ]);
    // New traffic moves the table on the next refresh.
    expect(await read()).toBe('HIT');
    await expect.poll(() => sim.locator('td').nth(1).innerText(), { timeout: 10_000 }).toBe('5');
    expect(await sim.locator('td.double').innerText()).toBe('60.0%');
    expect(problems).toEqual([]);
    await page.close();
  });
});
