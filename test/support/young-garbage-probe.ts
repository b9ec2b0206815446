/**
 * Run by test/api/young-garbage.test.ts with `node --trace-gc-nvp --import tsx`: executes
 * agenda misses in process (Yoga's getResultForParams: envelop's plugins, Pothos and its
 * DataLoaders, the compiled query, with the execution deadline on), each with a new variable,
 * until 20 young collections have run, between a `young-garbage:start` and a `young-garbage:end`
 * line, so that the test reads what
 * V8's collections printed for those misses alone. The cache is off: a stored entry is meant
 * to outlive its request.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { WARM_DOCUMENTS } from '../../src/warming/warming.js';
import { startProbeApp } from './probe-app.js';

/** Young collections to see during the measured misses, and the most misses to wait for them. */
const SCAVENGES = 20;
const MAX_MISSES = 40_000;
const redisUrl = process.env.YOUNG_GARBAGE_REDIS_URL;
const prefix = `hp-young-garbage-${process.pid}`;
const { app, apiKey, variables, close } = await startProbeApp(
  'young-garbage',
  redisUrl
    ? {
        REDIS_URL: redisUrl,
        CACHE_PREFIX: prefix,
        JIT_AFTER_RUNS: '1',
        // What is kept by design, each for a while, is left out: finished flights (up to 1 s),
        // what the store remembers of the keys it saved, the TTL simulator's sample.
        CACHE_FLIGHT_LINGER_BYTES: '0',
        CACHE_MISS_REASON_BYTES: '0',
        CACHE_TTL_SIM_SAMPLE: '0',
      }
    : { CACHE_ENABLED: 'false', JIT_AFTER_RUNS: '1' },
);

async function miss(n: number) {
  const request = new app.yoga.fetchAPI.Request('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
  });
  // A variable the document doesn't declare: a new request each time (graphql-js ignores it).
  const params = { query: WARM_DOCUMENTS.agenda, variables: { ...variables, probe: n } };
  const result = (await app.yoga.getResultForParams({ params, request }, {})) as {
    data?: { agenda?: { appointments?: unknown[] } };
    errors?: unknown[];
  };
  if (result.errors || !result.data?.agenda?.appointments?.length)
    throw new Error(`not the agenda: ${JSON.stringify(result).slice(0, 300)}`);
  // The response doesn't wait for Redis to acknowledge the save; the next miss does, so that
  // what is judged is what an answered and saved miss leaves behind, not a save still out on a
  // loaded machine. A lookup goes out after the save on the same connection and is answered
  // after it.
  if (redisUrl) await app.cache.store?.lookup('young-garbage-fence', 'fence');
}

// Young collections, counted as they are reported. A young generation's size differs between
// runtimes (Node 24 collected 6 times in 3,000 misses, Node 20 about 50), so the misses go on
// until enough were seen; every 100 misses yield a turn, in which the observer is told.
let scavenges = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    if (
      (entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR
    )
      scavenges++;
});
observer.observe({ entryTypes: ['gc'] });

for (let n = 0; n < 300; n++) await miss(n);
await new Promise(setImmediate);
process.stdout.write('young-garbage:start\n');
scavenges = 0;
let n = 300;
while (scavenges < SCAVENGES && n < MAX_MISSES) {
  for (const end = n + 100; n < end; n++) await miss(n);
  await new Promise(setImmediate);
}
process.stdout.write('young-garbage:end\n');
process.stdout.write(`young-garbage:misses ${n - 300}\n`);
observer.disconnect();
await close();
