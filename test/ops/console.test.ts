import { copyFileSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_DEFAULTS } from '../../src/budget/budgets.js';
import {
  buildTestApp,
  OPS_TOKEN,
  openTestDatabase,
  sharedRedisCache,
  type TestApp,
  testCacheConfig,
} from '../support/app.js';
import { isLocal, launchChromium, listen } from '../support/browser.js';
import { SERVICES } from '../support/documents.js';

// Issue 10: the operators' console, driven in headless Chromium against a listening server.
// Two instances share one Redis: the console on A shows totals over both next to A's own.
// UPDATE_SCREENSHOT=1 copies the screenshot it takes into docs/ops-console.png (README).

const STATS = `{ cacheStats { hits misses hitRate live { streams } cluster { hits misses hitRate instances requestsPerSecond } } }`;

describe('the /ops console', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let a: TestApp;
  let b: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let browser: Browser;
  let tenant: { key: string; userId: string; id: string };
  /** Browser console errors and uncaught exceptions, per page. */
  const problems = new Map<Page, string[]>();
  const outside: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    database = await openTestDatabase('sqlite');
    const cache = testCacheConfig(sharedRedisCache({ statsFlushMs: 200 }));
    // A charges cost budgets: its console shows them per tenant.
    a = await buildTestApp('sqlite', { db: database.db, cache, budget: BUDGET_DEFAULTS });
    b = await buildTestApp('sqlite', { db: database.db, cache });
    server = await listen(a.app.http);
    const { tenant: t, key } = await a.createTenant('Console');
    const user = await a.createUser(t.id, 'Provider');
    tenant = { key, userId: user.id, id: t.id };
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await a?.close();
    await b?.close();
    await database?.close();
  });

  async function newPage(width = 1280, height = 900) {
    const page = await browser.newPage({ viewport: { width, height } });
    const found: string[] = [];
    problems.set(page, found);
    page.on('console', (m) => {
      if (m.type() === 'error') found.push(m.text());
    });
    page.on('pageerror', (e) => found.push(e.message));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      outside.push(url);
      return route.abort();
    });
    await page.goto(`${server.url}/ops`);
    return page;
  }

  async function signIn(page: Page, token: string) {
    await page.locator('#token').fill(token);
    await page.locator('#signin-form button[type=submit]').click();
  }

  /** A tenant read through an instance; its X-Cache. */
  async function read(app: TestApp) {
    const res = await app.execute(SERVICES, { u: tenant.userId }, tenant.key);
    expect(res.body.errors).toBeUndefined();
    return res.headers.get('x-cache');
  }

  const number = async (page: Page, id: string) =>
    Number((await page.locator(`#${id}`).innerText()).replace(/[^\d.]/g, ''));

  async function cacheStats() {
    const res = await a.execute(STATS, {}, OPS_TOKEN);
    expect(res.body.errors).toBeUndefined();
    return res.data.cacheStats;
  }

  it('refuses a wrong token: an error, no data, nothing kept', async () => {
    const page = await newPage();
    await signIn(page, 'not-the-operator-token');
    await expect.poll(() => page.locator('#signin-error').isVisible()).toBe(true);
    expect(await page.locator('#signin-error').innerText()).toMatch(/not the operator token/);
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
    expect(await page.locator('#hits').innerText()).toBe('–');
    // A tenant's API key is refused the same way.
    await signIn(page, tenant.key);
    await expect.poll(() => page.locator('#signin-error').innerText()).toMatch(/operator token/);
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    // The browser logs the two 401/403 answers as failed loads; nothing else may appear.
    expect(problems.get(page)?.filter((p) => !/status of 40[13]/.test(p))).toEqual([]);
    await page.close();
  });

  it('signs in, shows the numbers cacheStats gives, the chart, and follows the traffic', async () => {
    expect(await read(a)).toBe('MISS');
    expect(await read(a)).toBe('HIT');
    expect(await read(b)).toBe('HIT');
    // (The tenant key tried in the sign-in above was a lookup too: a MISS answered FORBIDDEN.)
    await expect.poll(async () => (await cacheStats()).cluster?.hits, { timeout: 5_000 }).toBe(2);

    const page = await newPage();
    await signIn(page, OPS_TOKEN);
    await expect.poll(() => page.locator('#dashboard').isVisible()).toBe(true);
    // The token lives in this tab's sessionStorage only, never in the address.
    expect(page.url()).toBe(`${server.url}/ops`);
    expect(await page.evaluate(() => sessionStorage.getItem('hotpath.opsToken'))).toBe(OPS_TOKEN);

    const stats = await cacheStats();
    expect(stats.cluster).toMatchObject({ hits: 2, instances: 2 });
    expect(stats.hits).toBe(1);
    await expect.poll(() => number(page, 'hits'), { timeout: 10_000 }).toBe(stats.cluster.hits);
    expect(await number(page, 'misses')).toBe(stats.cluster.misses);
    expect(await page.locator('#hit-rate').innerText()).toBe(
      `${(stats.cluster.hitRate * 100).toFixed(1)}%`,
    );
    expect(await page.locator('#own-hits').innerText()).toBe(`this instance: ${stats.hits}`);
    expect(await page.locator('#instances').innerText()).toBe('2');
    expect(await page.locator('#backend').innerText()).toMatch(/^REDIS \d+\.\d+/);
    expect(await page.locator('#fallback').innerText()).toBe('off');
    expect(await page.locator('#operations tbody').innerText()).toMatch(
      /Services\s+2\s+1\s+66\.7%/,
    );
    // Budgets of this instance: the tenant's points (its miss, its hit), none throttled.
    expect(await page.locator('#budgets-table tbody').innerText()).toMatch(
      new RegExp(`${tenant.id}\\s+\\d+\\s+0\\s+0\\.00`),
    );
    const misses = stats.cluster.misses;

    // The chart: uPlot's canvas, sized, with its legend.
    const canvas = page.locator('#chart canvas');
    expect(await canvas.count()).toBe(1);
    const box = await canvas.boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    expect(box?.height).toBeGreaterThan(100);
    expect(await page.locator('#chart').innerText()).toContain('Hit rate %');

    // Traffic through the other instance moves the numbers on this one's console.
    for (let i = 0; i < 10; i++) expect(await read(b)).toBe('HIT');
    await expect.poll(() => number(page, 'hits'), { timeout: 10_000 }).toBe(12);
    expect(await page.locator('#hit-rate').innerText()).toBe(
      `${((12 / (12 + misses)) * 100).toFixed(1)}%`,
    );
    // Requests per second over the last minute, or since the process started when younger:
    // it moves with time as well as with traffic, so the console is held to what cacheStats
    // says at about the same moment.
    await expect
      .poll(
        async () => {
          const shown = await number(page, 'rps');
          const told = (await cacheStats()).cluster.requestsPerSecond;
          return told > 0 && Math.abs(shown - told) / told < 0.25;
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    expect(await page.locator('#hit-latency').innerText()).toMatch(/^[\d.]+ \/ [\d.]+ ms$/);
    // The console's numbers are a live query: the server pushes them (no polling), and count
    // the console's own stream.
    await expect.poll(() => number(page, 'live-streams'), { timeout: 5_000 }).toBeGreaterThan(0);
    expect((await cacheStats()).live.streams).toBeGreaterThan(0);

    const shot = join(mkdtempSync(join(tmpdir(), 'hotpath-ops-')), 'ops-console.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    if (process.env.UPDATE_SCREENSHOT) copyFileSync(shot, 'docs/ops-console.png');

    expect(problems.get(page)).toEqual([]);
    await page.close();
  });

  it('purges behind a confirmation, and the next tenant read is a MISS', async () => {
    expect(await read(a)).toBe('HIT');
    const page = await newPage();
    // Signed in already in this tab? No: a new page is a new tab, so sign in again.
    await signIn(page, OPS_TOKEN);
    await expect.poll(() => page.locator('#dashboard').isVisible()).toBe(true);

    // Cancel first: nothing happens.
    await page.locator('#purge').click();
    await expect.poll(() => page.locator('#confirm').isVisible()).toBe(true);
    await page.locator('#confirm-cancel').click();
    expect(await page.locator('#confirm').isVisible()).toBe(false);
    expect(await read(a)).toBe('HIT');

    await page.locator('#purge').click();
    expect(await page.locator('#confirm-text').innerText()).toMatch(/Purge the whole cache/);
    await page.locator('#confirm-ok').click();
    await expect
      .poll(() => page.locator('#action-result').innerText())
      .toMatch(/^Purged: epoch \d+/);
    expect(await read(a)).toBe('MISS');
    expect(await read(b)).toBe('HIT'); // A's MISS stored it again under the new epoch
    await expect
      .poll(() => page.locator('#invalidations-table tbody').innerText(), { timeout: 10_000 })
      .toMatch(/all \(purge\)\s+new epoch/);

    // Invalidating the services of the tenant's user: the next read misses again.
    await page.locator('#services-user').fill(tenant.userId);
    await page.locator('#services-form button').click();
    await page.locator('#confirm-ok').click();
    await expect
      .poll(() => page.locator('#action-result').innerText())
      .toMatch(/^Done: [1-9]\d* cached response\(s\) removed\.$/);
    expect(await read(b)).toBe('MISS');

    expect(problems.get(page)).toEqual([]);
    await page.close();
  });

  it('fits a 390 px phone without horizontal scrolling', async () => {
    const page = await newPage(390, 844);
    await signIn(page, OPS_TOKEN);
    await expect.poll(() => page.locator('#dashboard').isVisible()).toBe(true);
    await expect.poll(() => number(page, 'hits'), { timeout: 10_000 }).toBeGreaterThan(0);
    const widths = await page.evaluate(() => ({
      viewport: window.innerWidth,
      document: document.documentElement.scrollWidth,
      body: document.body.scrollWidth,
    }));
    expect(widths.viewport).toBe(390);
    expect(widths.document).toBeLessThanOrEqual(390);
    expect(widths.body).toBeLessThanOrEqual(390);
    const chart = await page.locator('#chart canvas').boundingBox();
    expect(chart?.width).toBeLessThanOrEqual(390);
    expect(problems.get(page)).toEqual([]);
    await page.close();
  });

  it('made no request that left this machine', () => {
    expect(outside).toEqual([]);
  });
});
