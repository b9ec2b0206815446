import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startMain } from '../support/process.js';

// Issue 14's "Done when": distinct large documents flooded without a key leave RSS within 50 MB
// of where it started. Before, each was parsed, validated and kept in Yoga's parse caches
// before the 401 (1,500 of ~600 KB took RSS from 291 MB to 1,279 MB).

const OPS = 'ops-token-for-the-flood-test';
const DOCUMENTS = 200;
const CONCURRENCY = 8;

const rssBytes = (pid: number) => {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line?.[1]) * 1024;
};

/** A distinct valid document of about `bytes`: many aliased fields (limits are Yoga's to judge). */
function document(i: number, bytes: number) {
  const fields: string[] = [];
  let size = 0;
  for (let f = 0; size < bytes; f++) {
    const field = `a${i}_${f}: __typename `;
    fields.push(field);
    size += field.length;
  }
  return JSON.stringify({ query: `query Flood${i} { ${fields.join('')}}` });
}

describe('a flood of large documents without a key, against a production process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hotpath-flood-'));
  const app = startMain({
    NODE_ENV: 'production',
    OPS_TOKEN: OPS,
    SQLITE_PATH: join(dir, 'hotpath.sqlite'),
    PORT: '0',
    HOST: '127.0.0.1',
  });
  afterAll(() => {
    app.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function flood(url: string, from: number, count: number, authorization?: string) {
    const statuses = new Map<number, number>();
    let next = from;
    const worker = async () => {
      while (next < from + count) {
        const i = next++;
        const res = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(authorization ? { authorization } : {}),
          },
          body: document(i, 500_000),
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return Object.fromEntries(statuses);
  }

  it('answers each 401 and RSS stays within 50 MB of where it started', async () => {
    const [, url] = await app.printed(/listening on (http:\/\/\S+)\/graphql/);
    const pid = app.child.pid as number;
    // Warm-up: the code paths a 401 takes, and the allocator's first growth.
    const warmUp = [await flood(url, 0, 40), await flood(url, 40, 40, 'Bearer hp_not_a_key')];
    const before = rssBytes(pid);
    const answers = [
      await flood(url, 1_000, DOCUMENTS / 2),
      await flood(url, 2_000, DOCUMENTS / 2, 'Bearer hp_not_a_key'),
    ];
    const after = rssBytes(pid);
    console.log(
      `stranger flood: RSS ${(before / 1e6).toFixed(1)} MB -> ${(after / 1e6).toFixed(1)} MB`,
    );
    expect(after - before).toBeLessThan(50 * 1024 * 1024);
    expect(warmUp).toEqual([{ 401: 40 }, { 401: 40 }]);
    expect(answers).toEqual([{ 401: DOCUMENTS / 2 }, { 401: DOCUMENTS / 2 }]);
    // Still serving, and the operator still gets in.
    const ops = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPS}` },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(ops.status).toBe(200);
  }, 120_000);
});
