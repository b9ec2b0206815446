/**
 * Run by test/http/tsx-names.test.ts under tsx (`node --import tsx`), as `npm start` and every
 * bench run the app: serves the demo over node:http, then counts the functions given a name
 * (esbuild's keepNames: `Object.defineProperty(f, 'name', …)`) while it answers hits, then
 * misses. Prints one JSON line: for each phase, the outcomes seen (X-Cache) and where each
 * naming was made from (the first frame of the app's own code); `control` is a phase that calls
 * a function making a named closure, so the count is seen to work.
 */
// First, on its own (an import for its side effect, which import sorting leaves first): the spy
// must be in place before any module of the app is evaluated.
import './tsx-names-spy.js';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WARM_DOCUMENTS } from '../../src/warming/warming.js';
import { startProbeApp } from './probe-app.js';
import { control } from './tsx-names-control.js';
import { namings } from './tsx-names-spy.js';

const REQUESTS = 50;
const { app, apiKey, variables, close } = await startProbeApp('tsx-names', {
  // Compiled at its first run, before the phases: a compilation is once per document.
  JIT_AFTER_RUNS: '1',
  // A loaded machine (the whole suite at once) must not turn the store's answers into BYPASS.
  CACHE_TIMEOUT_MS: '5000',
});
const server = createServer(app.http).listen(0, '127.0.0.1');
await once(server, 'listening');
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;

async function post(extra: Record<string, unknown>): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    // A variable the document doesn't declare makes a new key (graphql-js ignores it).
    body: JSON.stringify({ query: WARM_DOCUMENTS.agenda, variables: { ...variables, ...extra } }),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
  return response.headers.get('x-cache') ?? '';
}

/** `count` requests (`extra(i)` their extra variables), with what got a name meanwhile. */
async function phase(count: number, extra: (i: number) => Record<string, unknown>) {
  const outcomes = new Set<string>();
  const named: string[] = [];
  namings.list = named;
  for (let i = 0; i < count; i++) outcomes.add(await post(extra(i)));
  namings.list = null;
  return { outcomes: [...outcomes], named };
}

await post({}); // the miss that stores it
await post({}); // a first hit: whatever a first hit sets up once
const hits = await phase(REQUESTS, () => ({}));
const misses = await phase(REQUESTS, (i) => ({ probe: `miss-${i}` }));
namings.list = [];
control();
const controlled = namings.list;
namings.list = null;
process.stdout.write(`${JSON.stringify({ control: controlled, hits, misses })}\n`);
server.close();
await close();
