/**
 * `npm run bench:lookup-bytes`: where Redis spends one lookup without a copy in process (issue
 * 19), by body size. For agendas of 6, 100 and 400 appointments (each appointment tagged, the
 * body gzipped from CACHE_COMPRESS_MIN_BYTES as the app stores it), on a private redis-server:
 * - the store's lookups (copies off), BENCH_LOOKUP_CONCURRENCY at a time (default `1,50`: one
 *   round trip per lookup, and 50 sharing one write as under load), as the hit path asks them
 *   (`lookup`: no tags, tracing and CACHE_DEBUG off) and with the tags (`lookup+tags`: the Yoga
 *   path, and a lookup that makes a copy in process);
 * - the floor: a plain GET of a string of the payload's size (what the lookup's HGET returns),
 *   at the same concurrency: moving those bytes through Redis, nothing judged.
 * Per lookup (or GET): Redis CPU from INFO cpu (used_cpu_user and used_cpu_sys apart) and, from
 * INFO commandstats, the calls per lookup and µs per call of each command (EVALSHA of the lookup
 * script, HGET of the payload, GET of the epoch). commandstats times the command alone; CPU also
 * counts reading the request and writing the reply (on loopback the sender's system time
 * includes delivering the bytes to the receiver). Medians of BENCH_ROUNDS (default 3)
 * interleaved rounds of BENCH_LOOKUP_COUNT lookups (default 4,000). Prints a table; figures
 * from a shared machine are NOISY: say so where they are quoted.
 *
 * BENCH_BASE=<another checkout> (with its node_modules): its store too, `base lookup`, on the
 * same Redis under its own prefix, interleaved with this one's: a before and after measured in
 * one run (e.g. `git worktree add /tmp/base <rev>`).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { prepareBody } from '../src/cache/store/body.js';
import { redisKeys } from '../src/cache/store/redis/keys.js';
import { createRedisStore } from '../src/cache/store/redis/redis-store.js';
import type { ResponseStore } from '../src/cache/store/store.js';
import { startRedisServer } from '../test/support/redis.js';
import { interleaved } from './lib/load.js';
import { median } from './lib/report.js';
import { positive } from './lib/settings.js';

const rounds = positive('BENCH_ROUNDS', 3, true);
const COUNT = positive('BENCH_LOOKUP_COUNT', 4_000, true);
const CONCURRENCY = (process.env.BENCH_LOOKUP_CONCURRENCY ?? '1,50').split(',').map(Number);
const SIZES = [6, 100, 400] as const;
const BASE = process.env.BENCH_BASE;
const KINDS = ['lookup', 'lookup+tags', 'floor', ...(BASE ? ['base lookup'] : [])] as const;
/** CACHE_COMPRESS_MIN_BYTES's default. */
const COMPRESS_MIN_BYTES = 8_192;

/** An agenda shaped as the API answers it (about 280 bytes an appointment) and its tags. */
function agenda(n: number) {
  const user = randomUUID();
  const service = randomUUID();
  const appointments = Array.from({ length: n }, (_, i) => ({
    id: randomUUID(),
    startsAt: new Date(Date.UTC(2026, 11, 7, 0, i * 3)).toISOString(),
    endsAt: new Date(Date.UTC(2026, 11, 7, 0, i * 3 + 15)).toISOString(),
    clientName: `Client ${String(i + 1).padStart(4, '0')}`,
    status: 'CONFIRMED',
    service: { id: service, name: 'Visit', durationMinutes: 15, priceCents: 10_000 },
  }));
  const json = JSON.stringify({
    data: { agenda: { userId: user, date: '2026-12-07', appointments } },
  });
  const tags = [
    `User:${user}`,
    `Service:${service}`,
    ...appointments.map((a) => `Appointment:${a.id}`),
    `Agenda:${user}:2026-12-07`,
  ];
  return { json, tags };
}

interface Figures {
  user: number;
  sys: number;
  /** calls per lookup and µs per call, by command. */
  commands: Map<string, { calls: number; usec: number }>;
}

const field = (text: string, name: string) =>
  Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? Number.NaN);

function commandStats(text: string) {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm))
    stats.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
  return stats;
}

/** Runs `one` COUNT times, `concurrency` at a time, and reads Redis over the window. */
async function window(redis: Redis, concurrency: number, one: () => Promise<void>) {
  await redis.config('RESETSTAT');
  const cpu0 = await redis.info('cpu');
  let left = COUNT;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await one();
    }),
  );
  const cpu1 = await redis.info('cpu');
  const stats = commandStats(await redis.info('commandstats'));
  const per = (name: string) => ((field(cpu1, name) - field(cpu0, name)) * 1e6) / COUNT;
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const [name, s] of stats) {
    if (name === 'info' || name.startsWith('config')) continue;
    commands.set(name, { calls: s.calls / COUNT, usec: s.calls ? s.usec / s.calls : 0 });
  }
  return { user: per('used_cpu_user'), sys: per('used_cpu_sys'), commands } as Figures;
}

async function main() {
  const server = await startRedisServer();
  const redis = new Redis(server.url);
  const client = new Redis(server.url, { enableAutoPipelining: true });
  const results = new Map<string, Figures[]>();
  const sizes = new Map<number, { payload: number; body: number; json: number }>();
  try {
    type Variant = {
      create: typeof createRedisStore;
      prepare: typeof prepareBody;
      prefix: string;
    };
    const variants: Variant[] = [
      { create: createRedisStore, prepare: prepareBody, prefix: 'lookup-bytes' },
    ];
    if (BASE) {
      const base = await import(`${BASE}/src/cache/store/redis/redis-store.ts`);
      const body = await import(`${BASE}/src/cache/store/body.ts`);
      variants.push({
        create: base.createRedisStore,
        prepare: body.prepareBody,
        prefix: 'lookup-bytes-base',
      });
    }
    const scope = randomUUID();
    const stores: ResponseStore[] = [];
    for (const variant of variants) {
      const s = variant.create({ redis: client, prefix: variant.prefix, schemaHash: 'bench' });
      stores.push(s);
      for (const n of SIZES) {
        const { json, tags } = agenda(n);
        const miss = await s.lookup(scope, `a${n}`);
        if (miss.hit) throw new Error('expected a miss');
        const prepared = await variant.prepare(json, COMPRESS_MIN_BYTES);
        const saved = await s.save(scope, `a${n}`, {
          body: json,
          prepared,
          tags,
          ttlMs: 3_600_000,
          seenSeq: miss.seq,
          seenEpoch: miss.epoch,
        });
        if (saved !== 'stored') throw new Error(`save: ${saved}`);
        const entryKey = redisKeys(variant.prefix).entry(scope, 'bench', `a${n}`);
        const payload = (await redis.hgetBuffer(entryKey, '.')) as Buffer;
        if (variant === variants[0]) {
          sizes.set(n, { payload: payload.length, body: prepared.bytes.length, json: json.length });
          // The floor: a string of the payload's size.
          await redis.set(`lookup-bytes:floor:${n}`, payload);
        }
        for (let i = 0; i < 100; i++) await s.lookup(scope, `a${n}`); // scripts loaded
      }
    }
    const [store, baseStore] = stores;
    const cases: [string, number, number][] = [];
    for (const c of CONCURRENCY)
      for (const n of SIZES) for (const kind of KINDS) cases.push([kind, n, c]);
    await interleaved(rounds, cases, async ([kind, n, c], round) => {
      const tags = kind === 'lookup+tags';
      const asked = kind === 'base lookup' ? baseStore : store;
      const figures =
        kind !== 'floor'
          ? await window(redis, c, async () => {
              if (!(await asked.lookup(scope, `a${n}`, { tags })).hit)
                throw new Error('expected a hit');
            })
          : await window(redis, c, async () => {
              await client.getBuffer(`lookup-bytes:floor:${n}`);
            });
      const id = `${kind}/${n}/${c}`;
      results.set(id, [...(results.get(id) ?? []), figures]);
      process.stderr.write(
        `[${round}/${rounds}] ${id}: user ${figures.user.toFixed(1)} sys ${figures.sys.toFixed(1)} µs\n`,
      );
    });
    for (const s of stores) await s.close();
  } finally {
    client.disconnect();
    redis.disconnect();
    await server.stop();
  }
  const rows: string[] = [];
  for (const c of CONCURRENCY) {
    for (const n of SIZES) {
      const size = sizes.get(n);
      for (const kind of KINDS) {
        const all = results.get(`${kind}/${n}/${c}`) ?? [];
        const user = median(all.map((f) => f.user));
        const sys = median(all.map((f) => f.sys));
        const names = [...new Set(all.flatMap((f) => [...f.commands.keys()]))].sort();
        const commands = names
          .map((name) => {
            const calls = median(all.map((f) => f.commands.get(name)?.calls ?? 0));
            const usec = median(all.map((f) => f.commands.get(name)?.usec ?? 0));
            return `${name} ${calls.toFixed(2)}× ${usec.toFixed(1)} µs`;
          })
          .join(', ');
        rows.push(
          `| ${c} | ${n} | ${size?.json} → ${size?.body} | ${size?.payload} | ${kind} | ${(user + sys).toFixed(1)} | ${user.toFixed(1)} | ${sys.toFixed(1)} | ${commands} |`,
        );
      }
    }
  }
  console.log(
    [
      `Redis per lookup without a copy (${COUNT} per cell, medians of ${rounds} rounds, private redis-server):`,
      '',
      '| concurrency | appointments | JSON → stored body, bytes | payload (HGET) bytes | what | Redis CPU µs | user | sys | commandstats: calls per lookup, µs per call |',
      '| ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | --- |',
      ...rows,
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
