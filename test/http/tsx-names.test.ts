import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../support/redis.js';

/**
 * tsx, which runs `npm start` and every bench, transforms with esbuild's keepNames: each named
 * closure is given its name by Object.defineProperty as it is made. Made per request, that cost
 * a memory hit 10% of its server CPU (issue 19; production's `node dist/main.js`, compiled by
 * tsc, pays nothing). The modules a hit runs through make their closures once, when the app is
 * built, never per request: no `const f = () => …` and no `function f() {}` inside a function of
 * theirs. The source check below reads the modules a hit and a miss run through; the run-time
 * check after it serves hits and misses under tsx and counts every naming, wherever it is made
 * (a property's arrow, `{ f: () => … }`, is named too, and the source check doesn't see it).
 */

// The esbuild tsx itself transforms with, with the option tsx sets.
const esbuild = createRequire(createRequire(import.meta.url).resolve('tsx'))(
  'esbuild',
) as typeof import('esbuild');
const named = (source: string) =>
  esbuild
    .transformSync(source, { loader: 'ts', keepNames: true, format: 'esm', target: 'node20' })
    .code.split('\n')
    // Nested (indented past a factory's own body): made each time its function runs. A named
    // closure is `const f = __name(…)`; a function declared in one, `__name(f, "f");` (a
    // class's own `static { __name(this, …) }` runs once, where the class is declared).
    .flatMap((line) => {
      const closure = /^\s{4,}(const|let|var) (\w+) = \/\* @__PURE__ \*\/ __name\(/.exec(line);
      if (closure) return [`${closure[1]} ${closure[2]}`];
      const declared = /^\s{4,}__name\((?!this,)(\w+), "/.exec(line);
      return declared ? [`function ${declared[1]}`] : [];
    });

const HOT = [
  'src/http/front.ts',
  'src/http/hit-path.ts',
  'src/http/hit-headers.ts',
  'src/http/negotiation.ts',
  'src/auth/authenticator.ts',
  'src/cache/memo.ts',
  'src/cache/stats/stats.ts',
  'src/cache/store/memory-store.ts',
  'src/cache/store/resilient-store.ts',
  'src/cache/store/redis/redis-store.ts',
  'src/cache/store/redis/entry-reads.ts',
  'src/cache/store/redis/near.ts',
];

/** What every miss runs through besides (a few µs a miss in named closures before). */
const MISS = [
  'src/yoga/use-response-cache.ts',
  'src/yoga/use-jit.ts',
  'src/cache/response-save.ts',
];

describe('the hit and miss paths under tsx', () => {
  it('finds a closure named per call (the check itself)', () => {
    const source =
      'export function f() { return (x: number) => { const g = () => x; return g(); }; }';
    expect(named(source)).toEqual(['const g']);
    const declared =
      'export function f() { return (x: number) => { function g() { return x; } return g(); }; }';
    expect(named(declared)).toEqual(['function g']);
  });

  it.each([...HOT, ...MISS])('%s makes no named closure per request', (file) => {
    const source = readFileSync(join(import.meta.dirname, '..', '..', file), 'utf8');
    expect(named(source)).toEqual([]);
  });
});

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

interface ProbeReport {
  control: string[];
  hits: { outcomes: string[]; named: string[] };
  misses: { outcomes: string[]; named: string[] };
}

/** test/support/tsx-names-probe.ts under tsx, with `env` over this process's environment. */
async function probe(env: Record<string, string>): Promise<ProbeReport> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test', 'support', 'tsx-names-probe.ts')],
    { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production', ...env }, timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ProbeReport;
}

describe('the hit and miss paths under tsx, at run time', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it.each([
    ['the memory store', () => ({})],
    ['Redis, with copies in process', () => ({ REDIS_URL: redis.url })],
    ['Redis, without copies', () => ({ REDIS_URL: redis.url, CACHE_NEAR_MAX_BYTES: '0' })],
  ])(
    'on %s, names no function per hit or per miss',
    async (_store, env) => {
      // A prefix of its own: the Redis probes share a server, and each must miss its misses.
      const report = await probe({
        CACHE_PREFIX: `tsxnames${randomBytes(4).toString('hex')}`,
        ...env(),
      });
      // The probe's control makes a named closure: the count works.
      expect(report.control).toEqual([
        expect.stringMatching(/^inner at control \(test\/support\/tsx-names-control\.ts:/),
      ]);
      expect(report.hits).toEqual({ outcomes: ['HIT'], named: [] });
      expect(report.misses).toEqual({ outcomes: ['MISS'], named: [] });
    },
    90_000,
  );
});
