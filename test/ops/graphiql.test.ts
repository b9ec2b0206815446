import { DateTime } from 'luxon';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TENANTS, seedDemo } from '../../src/db/seed.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { isLocal, launchChromium, listen } from '../support/browser.js';

// Issue 10: a newcomer with no internet access opens /graphql and runs the README's agenda
// query in GraphiQL. Every request the page makes is recorded; any that would leave this
// machine is refused and fails the test.

const README_AGENDA =
  'query($u: ID!, $d: Date!) { agenda(userId: $u, date: $d) { id appointments { clientName startsAt status service { name priceCents } } } }';
const FIRST_PROVIDER = '00000000-0000-4000-8001-010000000001';

describe('GraphiQL offline', () => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    app = await buildTestApp('sqlite', {
      graphiql: { defaultHeaders: { Authorization: `Bearer ${DEMO_TENANTS[0].apiKey}` } },
    });
    await seedDemo(app.db);
    server = await listen(app.app.http);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await app?.close();
  });

  it('renders, runs the README agenda query with the demo key, and asks nothing of the internet', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    const outside: string[] = [];
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      requests.push(url);
      if (isLocal(url)) return route.continue();
      outside.push(url);
      return route.abort();
    });
    const today = DateTime.now().setZone('America/Sao_Paulo').toISODate();
    // GraphiQL keeps the variables editor in localStorage; the query comes from ?query=.
    await page.addInitScript(
      (vars) => localStorage.setItem('graphiql:variables', vars),
      JSON.stringify({ u: FIRST_PROVIDER, d: today }),
    );
    await page.goto(`${server.url}/graphql?query=${encodeURIComponent(README_AGENDA)}`, {
      waitUntil: 'load',
    });
    await page.locator('.graphiql-execute-button').click({ timeout: 20_000 });
    const response = page.locator('.graphiql-response');
    await expect.poll(() => response.innerText(), { timeout: 20_000 }).toContain('appointments');
    const text = (await response.innerText()).replace(/\s+/g, '');
    expect(text).toContain(`"id":"${FIRST_PROVIDER}:${today}"`);
    expect(text).toMatch(/"clientName":"[^"]+","startsAt"/);
    // The page itself, then the introspection and the query: all to this server.
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
