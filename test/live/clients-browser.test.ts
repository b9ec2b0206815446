import { request } from 'node:http';
import { DateTime } from 'luxon';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, listen } from '../support/browser.js';
import { CREATE_SERVICE } from '../support/documents.js';
import { createProvider, type TestProvider } from '../support/fixtures.js';
import { BOOK, type LiveWorld, liveWorld } from './clients-support.js';

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
// EventSource: a GET with the query in the URL. It cannot send a header, so the page talks to
// its own backend (here keyProxy), which holds the key and adds it: a tenant's API key stays
// out of the browser.
window.openWithEventSource = (id, query, variables) => {
  const url = '/graphql?query=' + encodeURIComponent(query) +
    '&variables=' + encodeURIComponent(JSON.stringify(variables));
  const source = new EventSource(url);
  source.addEventListener('next', (e) => {
    const result = JSON.parse(e.data);
    if (result.errors) window.failures.push(id + ': ' + JSON.stringify(result.errors));
    else show(id, result.data);
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) window.failures.push(id + ': closed');
  };
};
</script>`;

/**
 * The dashboard's own backend, as a page using EventSource needs one: it serves the page's
 * origin and passes /graphql on to Hotpath with the tenant's key added, streaming the answer
 * as it comes (no buffering: each event goes through when it is written).
 */
async function keyProxy(target: string, key: string) {
  return listen((req, res) => {
    const upstream = request(
      `${target}${req.url ?? '/'}`,
      {
        method: req.method,
        headers: { ...req.headers, host: new URL(target).host, authorization: `Bearer ${key}` },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
}

describe('a browser page with three live queries open at once', () => {
  let world: LiveWorld;
  let other: TestProvider;
  let browser: Browser;
  let proxy: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    browser = await launchChromium();
    world = await liveWorld('sqlite');
    other = await createProvider(
      world.app,
      { tenantId: world.provider.user.tenantId, key: world.key },
      'Bia',
      { via: 'db' },
    );
    proxy = await keyProxy(new URL(world.url).origin, world.key);
  });
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await world?.close();
  });

  /** The page on `origin` (Playwright answers its URL; everything else goes to the network). */
  async function openPage(origin: string): Promise<Page> {
    const page = await browser.newPage();
    await page.route(`${origin}/live.html`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: PAGE }),
    );
    await page.goto(`${origin}/live.html`);
    return page;
  }

  const results = (page: Page) =>
    page.evaluate(() => (window as unknown as { results: Record<string, unknown[]> }).results);
  const failures = (page: Page) =>
    page.evaluate(() => (window as unknown as { failures: string[] }).failures);

  it.each([
    ['fetch()-based SSE, the key in a header, on the API’s origin', 'fetch'],
    ['EventSource (GET), the key added by the page’s own backend', 'EventSource'],
  ] as const)(
    '%s: each of the three updates after its own write, the others stay',
    async (_, how) => {
      const page = await openPage(how === 'fetch' ? new URL(world.url).origin : proxy.url);
      const d = world.variables.d;
      const streams: [string, string, Record<string, string>][] = [
        ['a', AGENDA, { u: world.provider.user.id, d }],
        ['b', AGENDA, { u: other.user.id, d }],
        ['c', SERVICES, { u: world.provider.user.id }],
      ];
      for (const [id, query, variables] of streams) {
        await page.evaluate(
          ([how, id, url, key, query, variables]) => {
            const w = window as any;
            if (how === 'fetch') void w.openWithFetch(id, url, key, query, variables);
            else w.openWithEventSource(id, query, variables);
          },
          [how, id, world.url, world.key, query, variables] as const,
        );
      }
      const count = async () => {
        const r = await results(page);
        return [r.a.length, r.b.length, r.c.length];
      };
      /** The newest result of stream `id`, as text. */
      const last = async (id: string) => JSON.stringify((await results(page))[id].at(-1));
      await expect.poll(count, { timeout: 15_000 }).toEqual([1, 1, 1]);
      expect(await failures(page)).toEqual([]);

      await world.book(`${how} A`);
      await expect.poll(count, { timeout: 10_000 }).toEqual([2, 1, 1]);
      expect(await last('a')).toContain(`${how} A`);

      await world.book(`${how} B`, other);
      await expect.poll(count, { timeout: 10_000 }).toEqual([2, 2, 1]);
      expect(await last('b')).toContain(`${how} B`);

      const created = await world.app.execute(
        CREATE_SERVICE,
        {
          i: {
            userId: world.provider.user.id,
            name: `${how} C`,
            durationMinutes: 30,
            priceCents: 1,
          },
        },
        world.key,
      );
      expect(created.body.errors).toBeUndefined();
      await expect.poll(count, { timeout: 10_000 }).toEqual([2, 2, 2]);
      expect(await last('c')).toContain(`${how} C`);
      expect(await failures(page)).toEqual([]);
      await page.close();
    },
  );

  it('beyond six: one page-level stream carries a week of agendas (eight widgets, one @live)', async () => {
    // Eight EventSources to one origin over HTTP/1.1 would leave two waiting for a connection
    // (six per origin); one operation with a field per widget needs one stream.
    const days = Array.from({ length: 8 }, (_, i) =>
      DateTime.fromISO(world.variables.d).plus({ days: i }).toISODate(),
    );
    const week = `query BrowserWeek($u: ID!) @live {
      ${days.map((day, i) => `d${i}: agenda(userId: $u, date: "${day}") { appointments { clientName } }`).join('\n')}
    }`;
    const page = await openPage(new URL(world.url).origin);
    await page.evaluate(
      ([url, key, query, variables]) => {
        void (window as any).openWithFetch('a', url, key, query, variables);
      },
      [world.url, world.key, week, { u: world.provider.user.id }] as const,
    );
    const received = async () => (await results(page)).a as Record<string, unknown>[];
    await expect.poll(async () => (await received()).length, { timeout: 15_000 }).toBe(1);
    expect(Object.keys((await received())[0])).toEqual(days.map((_, i) => `d${i}`));

    // A booking a week ahead: one push, in which only that day's widget changed.
    const startsAt = DateTime.fromISO(`${days[7]}T10:00`, { zone: 'America/Sao_Paulo' });
    const booked = await world.app.execute(
      BOOK,
      {
        i: {
          userId: world.provider.user.id,
          serviceId: world.provider.services[0].id,
          clientName: 'Next week',
          startsAt: startsAt.toUTC().toISO(),
        },
      },
      world.key,
    );
    expect(booked.body.errors).toBeUndefined();
    await expect.poll(async () => (await received()).length, { timeout: 10_000 }).toBe(2);
    const [before, after] = await received();
    const changed = days
      .map((_, i) => `d${i}`)
      .filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
    expect(changed).toEqual(['d7']);
    expect(JSON.stringify(after.d7)).toContain('Next week');
    expect(await failures(page)).toEqual([]);
    await page.close();
  });
});
