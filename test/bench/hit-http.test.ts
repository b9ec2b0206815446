import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hitHttp } from '../../bench/lib/hit-http.js';
import { buildTestApp, type TestApp } from '../support/app.js';

/**
 * bench:curves's `http` reference (bench/lib/hit-http.ts): node:http doing a hit's HTTP work and
 * nothing else. Its share of the ceiling is only what it says when it answers as a hit does:
 * the same headers, in the same order, around the same bytes.
 */

const QUERY = 'query Profile($u: ID!) { user(id: $u) { id name } }';

interface Answer {
  status: number;
  headers: string[];
  body: Buffer;
}

function post(url: string, headers: Record<string, string>, body: string) {
  return new Promise<Answer>((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.rawHeaders,
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
};

/** Header names in order, and the values that don't change between two answers. */
const shape = (raw: string[]) =>
  raw.flatMap((value, i) => {
    if (i % 2 === 1) return [];
    const name = value.toLowerCase();
    if (name === 'date' || name === 'server-timing') return [name];
    return [`${name}: ${raw[i + 1]}`];
  });

describe("bench:curves's reference: a hit's HTTP work alone", () => {
  let app: TestApp;
  let hotpath: Server;
  let reference: Server | null = null;
  let headers: Record<string, string>;
  let request: string;

  beforeAll(async () => {
    app = await buildTestApp('sqlite', { cache: { backend: 'MEMORY' }, via: 'yoga' });
    const tenant = await app.createTenant();
    const userId = (await app.createUser(tenant.tenant.id, 'Rita')).id;
    headers = { 'content-type': 'application/json', authorization: `Bearer ${tenant.key}` };
    request = JSON.stringify({ query: QUERY, variables: { u: userId } });
    hotpath = createServer(app.app.http);
  });
  afterAll(async () => {
    await new Promise((resolve) => hotpath.close(resolve));
    if (reference) await new Promise((resolve) => reference?.close(resolve));
    await app.close();
  });

  it('answers with the same bytes and the same headers as a hit, in the same order', async () => {
    const url = await listen(hotpath);
    await post(url, headers, request);
    const hit = await post(url, headers, request);
    expect(hit.headers).toContain('HIT');
    const contentType = hit.headers[hit.headers.findIndex((h) => /^content-type$/i.test(h)) + 1];
    reference = createServer(hitHttp(hit.body, contentType));
    const answered = await post(await listen(reference), headers, request);
    expect(answered.status).toBe(200);
    expect(answered.body.equals(hit.body)).toBe(true);
    expect(shape(answered.headers)).toEqual(shape(hit.headers));
    // Server-Timing is the hit's, with the time taken.
    expect(answered.headers).toContainEqual(expect.stringMatching(/^cache;desc="HIT";dur=\d/));
  });
});
