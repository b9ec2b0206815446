/**
 * `npm run bench:deflate`: what storing a gzipped body costs in CPU (README: Compression), for
 * INLINE_DEFLATE_MAX_BYTES (src/cache/store/body.ts). For agendas of 100 and 400 appointments
 * shaped as the API answers them (about 27 and 109 KB of JSON), the CPU of the whole process
 * (every thread: libuv's pool included) per deflate:
 * - through zlib's asynchronous call, as prepareBody does from INLINE_DEFLATE_MAX_BYTES up;
 * - with deflateRawSync, as it does below;
 * and the part of the asynchronous call that runs before it returns (the stream's set-up, on
 * the calling thread). The process is pinned to SERVER_CPU, one core, as the servers under
 * test are in the other benches: the pool's work then takes the core the main thread needs.
 * Best of BENCH_ROUNDS (default 5) rounds of BENCH_DEFLATES (default 300) deflates each.
 */
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { constants, deflateRaw as deflateRawCallback, deflateRawSync } from 'node:zlib';
import { INLINE_DEFLATE_MAX_BYTES } from '../src/cache/store/body.js';
import { pinSelf, SERVER_CPU } from './lib/pin.js';
import { positive } from './lib/settings.js';

const deflateRaw = promisify(deflateRawCallback);
const rounds = positive('BENCH_ROUNDS', 5, true);
const deflates = positive('BENCH_DEFLATES', 300, true);
const options = { finishFlush: constants.Z_SYNC_FLUSH };

/** An agenda's JSON with `size` appointments, as the API answers it. */
function agendaJson(size: number): Buffer {
  const start = Date.parse('2026-03-02T11:00:00Z');
  const services = Array.from({ length: 5 }, (_, i) => ({
    id: randomUUID(),
    name: `Service ${i}`,
    durationMinutes: 15 * (i + 1),
    priceCents: 1_000 * (i + 1),
  }));
  const appointments = Array.from({ length: size }, (_, i) => ({
    id: randomUUID(),
    clientName: `Client ${i}`,
    startsAt: new Date(start + i * 60_000).toISOString(),
    endsAt: new Date(start + i * 60_000 + 900_000).toISOString(),
    status: i % 3 === 0 ? 'CONFIRMED' : 'PENDING',
    service: services[i % services.length],
  }));
  const user = { id: randomUUID(), name: 'Provider' };
  const agenda = { id: randomUUID(), date: '2026-03-02', user, appointments };
  return Buffer.from(JSON.stringify({ data: { agenda } }));
}

/** µs of the process's CPU per call of `run`, the best of the rounds. */
async function cpuPerCall(run: () => unknown): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < deflates; i++) await run();
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / deflates);
  }
  return best;
}

async function main() {
  const pinned = pinSelf(SERVER_CPU);
  const rows: string[] = [];
  for (const size of [100, 400]) {
    const json = agendaJson(size);
    let setUp = Number.POSITIVE_INFINITY;
    const pool = await cpuPerCall(async () => {
      const at = performance.now();
      const deflated = deflateRaw(json, options);
      setUp = Math.min(setUp, (performance.now() - at) * 1000);
      await deflated;
    });
    const inline = await cpuPerCall(() => deflateRawSync(json, options));
    const where = json.length < INLINE_DEFLATE_MAX_BYTES ? 'inline' : 'the pool';
    rows.push(
      `| ${size} | ${json.length.toLocaleString('en')} | ${pool.toFixed(0)} | ${setUp.toFixed(0)} | ${inline.toFixed(0)} | ${where} |`,
    );
  }
  console.log(
    [
      `CPU per deflate, µs (best of ${rounds} × ${deflates}; ${pinned ? `pinned to CPU ${SERVER_CPU}` : 'NOT pinned'}; INLINE_DEFLATE_MAX_BYTES ${INLINE_DEFLATE_MAX_BYTES}):`,
      '',
      '| appointments | JSON bytes | zlib async call | its set-up on the calling thread | deflateRawSync | prepareBody uses |',
      '| ---: | ---: | ---: | ---: | ---: | --- |',
      ...rows,
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
