import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openSse, type SseEvent } from '../../bench/lib/sse.js';
import { delaysToSee, staleMs, type Write } from '../../bench/live-measure.js';
import { type ModeResult, targets } from '../../bench/live-report.js';

/** A server answering each request with `write(res)`, for the SSE client's tests. */
async function serve(handle: (res: import('node:http').ServerResponse) => Promise<void> | void) {
  const server = createServer((req, res) => {
    req.resume();
    void handle(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('bench/lib/sse.ts: the load generator’s SSE client', () => {
  it('reads events split across chunks, skips heartbeats, joins data lines, sees complete', async () => {
    const server = await serve(async (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(':\n\nevent: next\ndata: {"data":');
      await sleep(20);
      res.write('{"n":1}}\n\nevent: next\ndata: {"data":\ndata: {"n":2}}\n\n:\n\n');
      await sleep(20);
      res.end('event: complete\ndata:\n\n');
    });
    const events: SseEvent[] = [];
    const ended = new Promise<unknown>((resolve) => {
      void openSse(server.url, { body: '{}', onEvent: (e) => events.push(e), onEnd: resolve });
    });
    expect(await ended).toBe('complete');
    expect(events.map((e) => [e.event, e.data])).toEqual([
      ['next', '{"data":{"n":1}}'],
      ['next', '{"data":\n{"n":2}}'],
      ['complete', ''],
    ]);
    expect(events[1].receivedAt).toBeGreaterThanOrEqual(events[0].receivedAt);
    await server.close();
  });

  it('rejects a refusal with its status and body, so a capped or unknown key is reported', async () => {
    const server = await serve((res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end('{"errors":[{"extensions":{"code":"LIVE_STREAMS_EXCEEDED"}}]}');
    });
    await expect(openSse(server.url, { body: '{}', onEvent: () => {} })).rejects.toThrow(
      /429.*LIVE_STREAMS_EXCEEDED/,
    );
    await server.close();
  });
});

describe('bench/live-measure.ts', () => {
  const writes: Write[] = [
    { group: 0, version: 1, at: 1_000 },
    { group: 0, version: 2, at: 3_000 },
    { group: 1, version: 1, at: 2_000 },
  ];

  it('measures from the write’s response to the first result showing it, per client', () => {
    const result = delaysToSee(writes, [
      // Saw version 1 40 ms after it, and version 2 before the write's response (0).
      {
        group: 0,
        seen: [
          { at: 0, version: 0 },
          { at: 1_040, version: 1 },
          { at: 2_990, version: 2 },
        ],
      },
      // Never saw group 1's write.
      { group: 1, seen: [{ at: 0, version: 0 }] },
    ]);
    expect(result.delays.sort((a, b) => a - b)).toEqual([0, 40]);
    expect(result.early).toBe(1);
    expect(result.unseen).toBe(1);
  });

  it('counts the time a client showed an older version than its group had committed', () => {
    // A poller: version 0 until 1,500 (stale 1,000–1,500), version 1 until 4,000 (stale
    // 3,000–4,000), then 2 until the end.
    const poller = {
      group: 0,
      seen: [
        { at: 500, version: 0 },
        { at: 1_500, version: 1 },
        { at: 4_000, version: 2 },
      ],
    };
    expect(staleMs(writes, poller, 0, 0, 5_000)).toBe(1_500);
    // Only the window counts.
    expect(staleMs(writes, poller, 0, 2_000, 5_000)).toBe(1_000);
    // Not yet loaded and nothing written: not stale; after a write, stale until loaded.
    expect(staleMs(writes, { group: 1, seen: [{ at: 2_500, version: 1 }] }, 0, 0, 3_000)).toBe(500);
  });
});

describe("bench/live-report.ts: issue 16's targets", () => {
  const live: ModeResult = {
    mode: 'live',
    requests: 1_000,
    writes: 120,
    statementsPerWrite: 4,
    executionsPerWrite: 2,
    p50: 12,
    p99: 251,
    unseen: 0,
    early: 0,
    staleSharePct: 0.1,
    staleSecondsPerDashboard: 0.1,
    fresh: '999 / 1000',
  };
  const speed = (reqPerSec: number) => ({ reqPerSec, p99: 2 });

  it('says which figures are met and which are missed, with what was measured', () => {
    const checks = targets([live], {
      streams: 10_000,
      rssBefore: 300,
      rssAfter: 400,
      perStreamKb: 10.2,
      hitsBefore: speed(1_000),
      hitsWith: speed(940),
      hitsAfter: speed(1_000),
      openStreamsMetric: 10_000,
    });
    expect(checks.map(([name, met, got]) => `${met ? 'met' : 'MISSED'} ${name}: ${got}`)).toEqual([
      'met push delay p50 ≤ 50 ms: 12.0 ms',
      'MISSED push delay p99 ≤ 250 ms: 251.0 ms',
      'MISSED every last result equals a fresh read: 999 of 1000',
      'met at most 2 database executions per write: 2.00',
      'met RSS per idle stream ≤ 20 KB: 10.2 KB',
      'MISSED hits keep their speed with the streams open (≥ 0.95×): 0.94×',
    ]);
  });

  it('takes an RSS that fell while the streams opened for a failed measurement, not a pass', () => {
    const idle = {
      streams: 10_000,
      rssBefore: 570,
      rssAfter: 379,
      perStreamKb: -19.5,
      hitsBefore: speed(1_000),
      hitsWith: speed(1_000),
      hitsAfter: speed(1_000),
      openStreamsMetric: 10_000,
    };
    const rss = targets([], idle).find(([name]) => name.startsWith('RSS per idle stream'));
    expect(rss).toEqual(['RSS per idle stream ≤ 20 KB', false, '-19.5 KB']);
  });
});
