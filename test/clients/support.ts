import { createHash } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, interceptors, fetch as undiciFetch } from 'undici';
import { expect } from 'vitest';
import type { CacheConfig } from '../../src/config.js';
import { buildTestApp, type TestApp } from '../support/app.js';

/** The SHA-256 the clients are given (node:crypto), in hex. */
export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What the server saw of one request, and what it answered. */
export interface Exchange {
  method: string;
  url: string;
  /** The request carried the document's text (GET ?query= or a POST body with "query"). */
  sentText: boolean;
  ifNoneMatch: string | null;
  status: number;
  xCache: string | null;
}

/** The X-Cache value among writeHead's arguments (an object, or a flat [name, value] list). */
function xCacheIn(args: unknown[]): string | null {
  for (const arg of args) {
    if (Array.isArray(arg)) {
      for (let i = 0; i < arg.length - 1; i += 2) {
        if (String(arg[i]).toLowerCase() === 'x-cache') return String(arg[i + 1]);
      }
    } else if (arg && typeof arg === 'object') {
      for (const [name, value] of Object.entries(arg)) {
        if (name.toLowerCase() === 'x-cache') return String(value);
      }
    }
  }
  return null;
}

/**
 * The app on a listening node:http server, as clients reach it: the hit path in front of Yoga
 * when the suite runs `via: 'http'`, Yoga alone otherwise. Records every exchange.
 */
export async function listen(app: TestApp) {
  const handler = (app.via === 'http' ? app.app.http : app.yoga) as unknown as RequestListener;
  const exchanges: Exchange[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    let sentText = /[?&]query=/.test(url);
    let xCache: string | null = null;
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    (res as unknown as { writeHead: typeof writeHead }).writeHead = (...args) => {
      xCache = xCacheIn(args);
      return writeHead(...args);
    };
    res.once('finish', () => {
      exchanges.push({
        method: req.method ?? '',
        url,
        sentText,
        ifNoneMatch: (req.headers['if-none-match'] as string | undefined) ?? null,
        status: res.statusCode,
        xCache: xCache ?? ((res.getHeader('x-cache') as string | undefined) || null),
      });
    });
    if (req.method !== 'POST') return handler(req, res);
    if (app.via === 'http') {
      // A copy of the body as the front reads it. Not a 'data' listener of our own: that would
      // set the stream flowing at once, and a front still authenticating an unseen key (it
      // reads the body after) would find nothing left (400). Only what the front reads is seen.
      let body = '';
      const emit = req.emit;
      req.emit = function (this: IncomingMessage, event: string | symbol, ...args: unknown[]) {
        if (event === 'data') {
          body += String(args[0]);
          if (/"query"\s*:/.test(body)) sentText = true;
        }
        return emit.call(this, event, ...args);
      } as typeof req.emit;
      handler(req, res);
      return;
    }
    // Yoga alone: read here and handed over parsed, as the front hands it a body it has read.
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      const body = Buffer.concat(chunks).toString();
      sentText = /"query"\s*:/.test(body);
      (req as { body?: unknown }).body = JSON.parse(body);
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    url,
    exchanges,
    /** The exchanges since the last call. */
    take(): Exchange[] {
      return exchanges.splice(0, exchanges.length);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * undici's fetch through its HTTP cache (RFC 9111, a private cache in memory): a stored GET is
 * revalidated with If-None-Match, and a 304 is answered from what it stored.
 */
export function cachingFetch() {
  const agent = new Agent();
  const dispatcher = agent.compose(interceptors.cache({ type: 'private' }));
  const fetch = ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof globalThis.fetch;
  return { fetch, close: () => agent.close() };
}

/** What a client test gives the shared scenarios: its client as a pair of operations. */
export interface ClientUnderTest<C> {
  app: TestApp;
  server: { take(): Exchange[] };
  clientWith(fetch: typeof globalThis.fetch): C;
  names(client: C): Promise<string[]>;
  addService(client: C, name: string): Promise<unknown>;
}

/**
 * Through an HTTP cache (undici's), a repeat revalidates with If-None-Match and the hit path
 * answers 304 without a body (Yoga alone answers 200 again); after a write through the client,
 * `Cache-Control: no-cache` means the client revalidates and gets the new data.
 */
export async function revalidatesThroughHttpCache<C>(t: ClientUnderTest<C>, added: string) {
  const http = cachingFetch();
  const revalidated = t.app.via === 'http' ? 304 : 200;
  try {
    const client = t.clientWith(http.fetch);
    const before = await t.names(client);
    t.server.take();
    expect(await t.names(client)).toEqual(before);
    const [revalidation] = t.server.take();
    expect(revalidation).toMatchObject({ method: 'GET', ifNoneMatch: expect.any(String) });
    expect(revalidation.status).toBe(revalidated);
    await t.addService(client, added);
    t.server.take();
    expect(await t.names(client)).toEqual([...before, added].sort());
    expect(t.server.take()).toMatchObject([{ status: 200, xCache: 'MISS' }]);
    expect(await t.names(client)).toEqual([...before, added].sort());
    expect(t.server.take()).toMatchObject([
      { ifNoneMatch: expect.any(String), status: revalidated },
    ]);
  } finally {
    await http.close();
  }
}

/** A test app with a listening server, a tenant and one user: what each client test starts from. */
export async function listeningTenant(cache: Partial<CacheConfig>, userName: string) {
  const app = await buildTestApp('sqlite', { cache });
  const server = await listen(app);
  const tenant = await app.createTenant();
  const userId = (await app.createUser(tenant.tenant.id, userName)).id;
  return {
    app,
    server,
    key: tenant.key,
    userId,
    async close() {
      await server.close();
      await app.close();
    },
  };
}
