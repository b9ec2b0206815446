import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { CREATE_SERVICE } from '../support/documents.js';
import { createProvider, type TestProvider } from '../support/fixtures.js';
import { type LiveWorld, liveWorld } from './clients-support.js';

/**
 * Issue 16 in Debian's Chromium: one page with THREE live queries open at once (two providers'
 * agendas and one provider's services), each updated after the write that changes it and only
 * then. The page is served on the API's own origin (Playwright answers its URL), so its
 * requests are same-origin, as a dashboard served next to the API would make them.
 */

const AGENDA = `query BrowserAgenda($u: ID!, $d: Date!) @live {
  agenda(userId: $u, date: $d) { id appointments { clientName } }
}`;
const SERVICES = `query BrowserServices($u: ID!) @live { services(userId: $u) { name } }`;

/** The page: streams by id, each result's data pushed to window.results[id]. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>Live dashboard</title>
<pre id="a"></pre><pre id="b"></pre><pre id="c"></pre>
<script>
window.results = { a: [], b: [], c: [] };
window.failures = [];
function show(id, data) {
  window.results[id].push(data);
  document.getElementById(id).textContent = JSON.stringify(data);
}
// GraphQL over SSE with fetch(): a POST with the key in a header, the body read as a stream.
window.openWithFetch = async (id, url, key, query, variables) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      accept: 'text/event-stream',
      'content-type': 'application/json',
      authorization: 'Bearer ' + key,
    },
    body: JSON.stringify({ query, variables }),
  });
  if (!res.ok) return window.failures.push(id + ': ' + res.status + ' ' + (await res.text()));
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\\n\\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: ?(.*)$/m.exec(block)?.[1];
      const data = block.split('\\n').filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, '')).join('\\n');
      if (event !== 'next') continue;
      const result = JSON.parse(data);
      if (result.errors) window.failures.push(id + ': ' + JSON.stringify(result.errors));
      else show(id, result.data);
    }
  }
};
</script>`;

describe('a browser page with three live queries open at once', () => {
  let world: LiveWorld;
  let other: TestProvider;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    browser = await launchChromium();
    world = await liveWorld('sqlite');
    other = await createProvider(
      world.app,
      { tenantId: world.provider.user.tenantId, key: world.key },
      'Bia',
      { via: 'db' },
    );
    origin = new URL(world.url).origin;
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  async function openPage(): Promise<Page> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route(`${origin}/live.html`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: PAGE }),
    );
    await page.goto(`${origin}/live.html`);
    return page;
  }

  const results = (page: Page) =>
    page.evaluate(() => (window as unknown as { results: Record<string, unknown[]> }).results);
  const namesIn = (data: unknown) => JSON.stringify(data);

  it('fetch()-based SSE: each of the three updates after its own write, the others stay', async () => {
    const page = await openPage();
    const d = world.variables.d;
    const streams: [string, string, Record<string, string>][] = [
      ['a', AGENDA, { u: world.provider.user.id, d }],
      ['b', AGENDA, { u: other.user.id, d }],
      ['c', SERVICES, { u: world.provider.user.id }],
    ];
    for (const [id, query, variables] of streams) {
      await page.evaluate(
        ([id, url, key, query, variables]) => {
          void (window as any).openWithFetch(id, url, key, query, variables);
        },
        [id, world.url, world.key, query, variables] as const,
      );
    }
    const count = async () => {
      const r = await results(page);
      return [r.a.length, r.b.length, r.c.length];
    };
    await expect.poll(count, { timeout: 15_000 }).toEqual([1, 1, 1]);
    expect(await page.evaluate(() => (window as any).failures)).toEqual([]);

    await world.book('Browser A');
    await expect.poll(count, { timeout: 10_000 }).toEqual([2, 1, 1]);
    expect(namesIn((await results(page)).a[1])).toContain('Browser A');

    await world.book('Browser B', other);
    await expect.poll(count, { timeout: 10_000 }).toEqual([2, 2, 1]);
    expect(namesIn((await results(page)).b[1])).toContain('Browser B');

    const created = await world.app.execute(
      CREATE_SERVICE,
      {
        i: {
          userId: world.provider.user.id,
          name: 'Browser C',
          durationMinutes: 30,
          priceCents: 1,
        },
      },
      world.key,
    );
    expect(created.body.errors).toBeUndefined();
    await expect.poll(count, { timeout: 10_000 }).toEqual([2, 2, 2]);
    expect(namesIn((await results(page)).c[1])).toContain('Browser C');
    expect(await page.evaluate(() => (window as any).failures)).toEqual([]);
    await page.close();
  });
});
