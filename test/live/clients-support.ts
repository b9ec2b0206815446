import { DateTime } from 'luxon';
import { buildTestApp, sharedRedisCache, type TestApp, type TestDialect } from '../support/app.js';
import { listen } from '../support/browser.js';
import { createProvider, createTestTenant, type TestProvider } from '../support/fixtures.js';

/**
 * What the client suites of issue 16 share: an app on Redis, listening through its node:http
 * front as `npm start` serves it, a tenant with a provider, and the documents the clients send.
 * Plain strings, not graphql(): `@live` documents are the clients' business, not codegen's.
 */

const SELECTION = `agenda(userId: $u, date: $d) {
  id
  appointments { clientName status }
}`;
export const LIVE_AGENDA = `query LiveAgenda($u: ID!, $d: Date!) @live { ${SELECTION} }`;
export const BOOK = `mutation LiveClientsBook($i: CreateAppointmentInput!) {
  createAppointment(input: $i) { id }
}`;
export const INVALIDATE_AGENDA = `mutation LiveClientsInvalidate($u: ID!) {
  invalidateAgenda(userId: $u) { invalidatedEntities }
}`;

export interface AgendaResult {
  agenda: { id: string; appointments: { clientName: string; status: string }[] };
}

/** The names booked in a result, in the agenda's order. */
export const clientNames = (data: AgendaResult | null | undefined) =>
  (data?.agenda.appointments ?? []).map((a) => a.clientName);

export interface LiveWorld {
  app: TestApp;
  url: string;
  key: string;
  provider: TestProvider;
  variables: { u: string; d: string };
  /**
   * A booking today (for `provider`, by default the world's), through the API as the tenant,
   * so its invalidation is the real one.
   */
  book(clientName: string, provider?: TestProvider): Promise<void>;
  close(): Promise<void>;
}

export async function liveWorld(dialect: TestDialect): Promise<LiveWorld> {
  const app = await buildTestApp(dialect, { cache: sharedRedisCache() });
  const server = await listen(app.app.http);
  const tenant = await createTestTenant(app, 'Live clients');
  const provider = await createProvider(app, tenant, 'Rita', { via: 'db' });
  // The tenant's zone (America/Sao_Paulo by default): its today is the agenda's date.
  const now = DateTime.now().setZone('America/Sao_Paulo');
  const variables = { u: provider.user.id, d: now.toISODate() ?? '' };
  let minute = 0;
  return {
    app,
    url: `${server.url}/graphql`,
    key: tenant.key,
    provider,
    variables,
    async book(clientName, who = provider) {
      // Minutes from the start of today, local: always today's agenda.
      const startsAt = now.startOf('day').plus({ minutes: ++minute }).toUTC().toISO();
      const res = await app.execute(
        BOOK,
        {
          i: { userId: who.user.id, serviceId: who.services[0].id, clientName, startsAt },
        },
        tenant.key,
      );
      if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
    },
    async close() {
      await server.close();
      await app.close();
    },
  };
}

/** The iterator's next value, or an error naming what was awaited after `ms`. */
export async function nextWithin<T>(
  iterator: AsyncIterator<T>,
  what: string,
  ms = 10_000,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  try {
    const next = await Promise.race([iterator.next(), timeout]);
    if (next.done) throw new Error(`the stream ended before ${what}`);
    return next.value;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Results pushed to a callback, awaited one by one (urql and Apollo push, they don't pull). An
 * error a client reports is thrown by the `next()` that awaits it, with its message.
 */
export function resultQueue<T>() {
  type Item = { value: T } | { error: unknown };
  const items: Item[] = [];
  const waiters: ((item: Item) => void)[] = [];
  const deliver = (item: Item) => {
    const waiter = waiters.shift();
    if (waiter) waiter(item);
    else items.push(item);
  };
  const iterator: AsyncIterator<T> = {
    next: async () => {
      const item = items.shift() ?? (await new Promise<Item>((resolve) => waiters.push(resolve)));
      if ('error' in item) throw item.error;
      return { value: item.value, done: false };
    },
  };
  return {
    push: (value: T) => deliver({ value }),
    fail: (error: unknown) => deliver({ error }),
    iterator,
  };
}
