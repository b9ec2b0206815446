import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hitHttp } from '../../bench/lib/hit-http.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { rawPost } from '../support/http.js';

/**
 * bench:curves's `http` reference (bench/lib/hit-http.ts): node:http doing a hit's HTTP work and
 * nothing else. Its share of the ceiling is only what it says when it answers as a hit does:
 * the same headers, in the same order, around the same bytes.
 */

const QUERY = 'query Profile($u: ID!) { user(id: $u) { id name } }';

/** Header names in order, with the values that don't change between two answers. */
const shape = (raw: string[]) =>
  raw.flatMap((value, i) => {
    if (i % 2 === 1) return [];
    const name = value.toLowerCase();
    if (name === 'date' || name === 'server-timing') return [name];
    return [`${name}: ${raw[i + 1]}`];
  });

describe("bench:curves's reference: a hit's HTTP work alone", () => {
  let app: TestApp;
  let reference: Server | null = null;
  let headers: Record<string, string>;
  let request: string;

  beforeAll(async () => {
    app = await buildTestApp('sqlite', { cache: { backend: 'MEMORY' }, via: 'http' });
    const tenant = await app.createTenant();
    const userId = (await app.createUser(tenant.tenant.id, 'Rita')).id;
    headers = { authorization: `Bearer ${tenant.key}` };
    request = JSON.stringify({ query: QUERY, variables: { u: userId } });
  });
  afterAll(async () => {
    if (reference) await new Promise((resolve) => reference?.close(resolve));
    await app.close();
  });

  it('answers with the same bytes and the same headers as a hit, in the same order', async () => {
    await rawPost(app.baseUrl, request, headers);
    const hit = await rawPost(app.baseUrl, request, headers);
    expect(hit.headers['x-cache']).toBe('HIT');
    reference = createServer(hitHttp(hit.body, String(hit.headers['content-type'])));
    await new Promise<void>((resolve) => reference?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(reference.address() as AddressInfo).port}`;
    const answered = await rawPost(url, request, headers);
    expect(answered.status).toBe(200);
    expect(answered.body.equals(hit.body)).toBe(true);
    expect(shape(answered.rawHeaders)).toEqual(shape(hit.rawHeaders));
    // Server-Timing is the hit's, with the time taken.
    expect(answered.headers['server-timing']).toMatch(/^cache;desc="HIT";dur=\d/);
  });
});
