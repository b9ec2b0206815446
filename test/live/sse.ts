import { request as httpRequest, type IncomingMessage } from 'node:http';

/** One Server-Sent Event as a GraphQL-over-SSE client reads it. */
export interface SseEvent {
  event: string;
  data: string;
}

export interface LiveStream {
  status: number;
  headers: IncomingMessage['headers'];
  /** Every event so far, comments (heartbeats) counted apart. */
  events: SseEvent[];
  comments: number;
  /** Resolves with the `next` results received once there are at least `count` of them. */
  nexts(count: number, timeoutMs?: number): Promise<any[]>;
  /** Resolves when the server ends the stream (with its events). */
  ended: Promise<SseEvent[]>;
  close(): void;
}

/**
 * Opens GraphQL over SSE (distinct connections) with node:http, the way graphql-sse's client
 * or curl -N does: POST a JSON body (or GET with the parameters in the query string) with
 * Accept: text/event-stream. Parses the events as they come.
 */
export function openLive(
  baseUrl: string,
  key: string | null,
  query: string,
  variables: Record<string, unknown> = {},
  options: {
    method?: 'GET' | 'POST';
    headers?: Record<string, string>;
    extensions?: Record<string, unknown>;
  } = {},
): Promise<LiveStream> {
  const method = options.method ?? 'POST';
  const search =
    method === 'GET'
      ? `?${new URLSearchParams({ query, variables: JSON.stringify(variables) })}`
      : '';
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${baseUrl}/graphql${search}`,
      {
        method,
        headers: {
          accept: 'text/event-stream',
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...options.headers,
        },
        agent: false,
      },
      (res) => {
        const events: SseEvent[] = [];
        let comments = 0;
        let buffer = '';
        const waiters = new Set<() => void>();
        let endedResolve!: (events: SseEvent[]) => void;
        const ended = new Promise<SseEvent[]>((r) => {
          endedResolve = r;
        });
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let at = buffer.indexOf('\n\n'); at !== -1; at = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, at);
            buffer = buffer.slice(at + 2);
            if (block.startsWith(':')) {
              comments++;
              continue;
            }
            const event: SseEvent = { event: 'message', data: '' };
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event.event = line.slice(6).trim();
              else if (line.startsWith('data:')) event.data += line.slice(5).trim();
            }
            events.push(event);
          }
          for (const wake of waiters) wake();
        });
        const finish = () => {
          endedResolve(events);
          for (const wake of waiters) wake();
        };
        res.on('end', finish);
        res.on('close', finish);
        const stream: LiveStream = {
          status: res.statusCode ?? 0,
          headers: res.headers,
          events,
          get comments() {
            return comments;
          },
          nexts(count, timeoutMs = 5_000) {
            const results = () =>
              events.filter((e) => e.event === 'next').map((e) => JSON.parse(e.data));
            return new Promise((resolveNexts, rejectNexts) => {
              const check = () => {
                const got = results();
                if (got.length >= count) {
                  cleanup();
                  resolveNexts(got);
                }
              };
              const timer = setTimeout(() => {
                cleanup();
                rejectNexts(
                  new Error(`expected ${count} next events, got ${JSON.stringify(events)}`),
                );
              }, timeoutMs);
              const cleanup = () => {
                clearTimeout(timer);
                waiters.delete(check);
              };
              waiters.add(check);
              check();
            });
          },
          ended,
          close: () => req.destroy(),
        };
        resolve(stream);
      },
    );
    req.on('error', reject);
    const { extensions } = options;
    req.end(method === 'POST' ? JSON.stringify({ query, variables, extensions }) : undefined);
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The live document most tests open: a provider's services and their prices. */
export const LIVE_SERVICES =
  'query LiveServices($u: ID!) @live { services(userId: $u) { id name priceCents } }';

export const UPDATE_PRICE =
  'mutation Price($id: ID!, $p: Int!) { updateService(id: $id, input: { priceCents: $p }) { id } }';

/** Reads of a provider's services list (the loader orders them; a write's own load doesn't). */
export const listReads = (statements: string[]) =>
  statements.filter((sql) => /FROM\s+("\w+"\.)?"services"/i.test(sql) && /ORDER BY/i.test(sql))
    .length;

/** Applies a JSON Patch (add, replace, remove) to a copy of `value`: what a client does. */
export function applyPatch(value: unknown, patch: { op: string; path: string; value?: unknown }[]) {
  const root = { value: structuredClone(value) };
  for (const op of patch) {
    const keys = op.path
      .split('/')
      .slice(1)
      .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    let parent: any = root;
    let key: string = 'value';
    for (const k of keys) {
      parent = parent[key];
      key = k;
    }
    if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
    } else if (op.op === 'add' && Array.isArray(parent)) parent.splice(Number(key), 0, op.value);
    else parent[key] = op.value;
  }
  return root.value;
}
