/**
 * A lightweight Server-Sent Events client on raw node:http, for load generators that hold
 * thousands of streams (bench:live): no browser, no Fetch streams, one socket and one small
 * parser per stream. It speaks GraphQL over SSE in distinct-connections mode, as Yoga serves it:
 * `event: next` with a JSON result in `data:`, `event: complete` at the end, and comment lines
 * (`:`) as heartbeats, which it ignores.
 */
import { type Agent, type IncomingMessage, request } from 'node:http';

export interface SseEvent {
  event: string;
  data: string;
  /** performance.now() when the event's last byte was read. */
  receivedAt: number;
}

export interface SseOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  agent?: Agent;
  onEvent: (event: SseEvent) => void;
  /** The stream ended: the server completed it, closed it, or the socket failed. */
  onEnd?: (reason: 'complete' | 'closed' | Error) => void;
}

export interface SseStream {
  /** Ends the stream from this side (the server sees the client go away). */
  close(): void;
  readonly status: number;
}

/**
 * Opens one stream; resolves once the server answered 200 with `text/event-stream`, rejects
 * with the status and body otherwise (a refused key, a capped tenant).
 */
export function openSse(url: string, options: SseOptions): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? 'POST',
      agent: options.agent,
      headers: {
        accept: 'text/event-stream',
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
    });
    let settled = false;
    req.on('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      } else options.onEnd?.(error);
    });
    req.on('response', (res: IncomingMessage) => {
      const type = String(res.headers['content-type'] ?? '');
      if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          settled = true;
          reject(new Error(`SSE refused: ${res.statusCode} ${type} ${text.slice(0, 500)}`));
        });
        return;
      }
      settled = true;
      resolve({ close: () => req.destroy(), status: res.statusCode });
      readEvents(res, options);
    });
    req.end(options.body);
  });
}

/** Splits the body into events at blank lines, as the SSE spec says; `data:` lines joined. */
function readEvents(res: IncomingMessage, options: SseOptions) {
  let buffer = '';
  let completed = false;
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buffer += chunk;
    let end = buffer.indexOf('\n\n');
    if (end === -1) return;
    const receivedAt = performance.now();
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      let data: string | null = null;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data = data === null ? value : `${data}\n${value}`;
      }
      if (event === 'complete') completed = true;
      if (data !== null || event !== 'message') {
        options.onEvent({ event, data: data ?? '', receivedAt });
      }
      end = buffer.indexOf('\n\n');
    }
  });
  res.on('close', () => options.onEnd?.(completed ? 'complete' : 'closed'));
}
