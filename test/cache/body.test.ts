/**
 * Stored bodies (issues 17 and 19): a gzipped body is an OPEN gzip member that a hit closes with
 * a stored deflate block holding `}` or extensions.cost, and the gzip trailer, without inflating
 * anything; its JSON is kept beside it only when the structure holding it asked (keepPlain).
 * test/http/gzip-splice.test.ts decodes the result with curl and Chromium.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { costJson, costTail, spliceCost } from '../../src/budget/cost.js';
import {
  etagOf,
  GZIP_EXTRA_BYTES,
  INLINE_DEFLATE_MAX_BYTES,
  inflationCount,
  prepareBody,
  StoredBody,
} from '../../src/cache/store/body.js';
import { parsePayload, payloadOf, tagsField, tagsOf } from '../../src/cache/store/redis/payload.js';

const THRESHOLD = 1_024;
const STATUS = { maximumAvailable: 10_000, currentlyAvailable: 9_999, restoreRate: 500 };
const COST = costJson(1, 1, STATUS);

/** A result's JSON of about `bytes` bytes, compressible. */
const jsonOf = (bytes: number) => {
  const rows: string[] = [];
  let json = '{"data":{"rows":[]}}';
  for (let i = 0; json.length < bytes; i++) {
    rows.push(`{"id":"r${i}","name":"Row ${i}"}`);
    json = `{"data":{"rows":[${rows.join(',')}]}}`;
  }
  return json;
};

/** The stored bytes and their closing: what a hit writes. */
const written = (body: StoredBody, tail?: string) =>
  Buffer.concat([body.bytes, body.closing(tail === undefined ? undefined : Buffer.from(tail))]);

describe('an open gzip member', () => {
  it('is closed by `}` into the gzip of the JSON', async () => {
    const json = jsonOf(20_000);
    const body = await prepareBody(json, THRESHOLD);
    expect(body.encoding).toBe('gzip');
    expect(body.etag).toBe(etagOf(json));
    expect(body.size).toBe(Buffer.byteLength(json) - 1);
    expect(body.bytes.length).toBeLessThan(json.length / 4);
    expect(gunzipSync(written(body)).toString('utf8')).toBe(json);
  });

  it('is open: without its closing it is no complete gzip stream', async () => {
    const body = await prepareBody(jsonOf(20_000), THRESHOLD);
    expect(() => gunzipSync(body.bytes)).toThrow(/unexpected end/i);
  });

  it('is closed by the cost tail into the gzip of the JSON with extensions.cost', async () => {
    const json = jsonOf(20_000);
    const body = await prepareBody(json, THRESHOLD);
    const decoded = gunzipSync(written(body, costTail(COST))).toString('utf8');
    expect(decoded).toBe(spliceCost(json, COST));
    expect(JSON.parse(decoded).extensions.cost).toEqual({
      requestedQueryCost: 1,
      actualQueryCost: 1,
      throttleStatus: STATUS,
    });
  });

  it.each([
    ['just under', THRESHOLD - 1, 'identity'],
    ['at', THRESHOLD, 'gzip'],
    ['just over', THRESHOLD + 1, 'gzip'],
  ])('stands %s the threshold as %s', async (_where, length, encoding) => {
    const base = jsonOf(length - 40);
    // Padded to exactly `length` bytes inside the object.
    const json = `${base.slice(0, -1)},"pad":"${'x'.repeat(length - base.length - 9)}"}`;
    expect(json.length).toBe(length);
    const body = await prepareBody(json, THRESHOLD);
    expect(body.encoding).toBe(encoding);
    const sent = body.encoding === 'gzip' ? gunzipSync(written(body)) : body.bytes;
    expect(sent.toString('utf8')).toBe(json);
    const withCost =
      body.encoding === 'gzip'
        ? gunzipSync(written(body, costTail(COST)))
        : Buffer.concat([body.bytes.subarray(0, -1), Buffer.from(costTail(COST))]);
    expect(withCost.toString('utf8')).toBe(spliceCost(json, COST));
  });

  it('decodes with multi-byte UTF-8 split anywhere in the JSON', async () => {
    const json = `{"data":{"names":${JSON.stringify(Array.from({ length: 800 }, (_, i) => `Zoë ✓ ${i} 日本`))}}}`;
    const body = await prepareBody(json, THRESHOLD);
    expect(body.encoding).toBe('gzip');
    expect(body.size).toBe(Buffer.byteLength(json) - 1);
    expect(gunzipSync(written(body, costTail(COST))).toString('utf8')).toBe(spliceCost(json, COST));
  });

  it('leaves a body that is no JSON object, or that gzip does not shrink, as it is', async () => {
    const array = JSON.stringify(Array.from({ length: 500 }, (_, i) => i));
    expect((await prepareBody(array, THRESHOLD)).encoding).toBe('identity');
    const random = `{"data":"${Buffer.from(Array.from({ length: 3_000 }, (_, i) => (i * 7919) % 251)).toString('base64')}"}`;
    const incompressible = await prepareBody(random, THRESHOLD);
    expect(incompressible.bytes.length).toBeLessThanOrEqual(random.length);
  });

  it('refuses a tail longer than one stored block', async () => {
    const body = await prepareBody(jsonOf(20_000), THRESHOLD);
    expect(() => body.closing(Buffer.alloc(65_536))).toThrow(RangeError);
  });
});

describe('where a body is deflated', () => {
  /** Whether prepareBody answered before the event loop's next check phase (setImmediate). */
  const answeredInTurn = async (json: string) => {
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    const body = await prepareBody(json, THRESHOLD);
    expect(body.encoding).toBe('gzip');
    expect(gunzipSync(written(body)).toString('utf8')).toBe(json);
    return !turned;
  };

  it('in the calling turn under INLINE_DEFLATE_MAX_BYTES: no stream, no hand-over to the pool', async () => {
    expect(await answeredInTurn(jsonOf(INLINE_DEFLATE_MAX_BYTES - 100))).toBe(true);
  });

  it("on libuv's thread pool from INLINE_DEFLATE_MAX_BYTES, off the event loop", async () => {
    expect(await answeredInTurn(jsonOf(INLINE_DEFLATE_MAX_BYTES + 100))).toBe(false);
    expect(await answeredInTurn(jsonOf(300_000))).toBe(false);
  });
});

describe('the JSON of a gzipped body', () => {
  it('is inflated on every call unless its holder keeps it', async () => {
    const json = jsonOf(20_000);
    const body = await prepareBody(json, THRESHOLD);
    const before = inflationCount();
    expect(body.text()).toBe(json);
    expect(body.identity().toString('utf8')).toBe(json);
    expect(inflationCount()).toBe(before + 2);
    expect(body.plainBytes()).toBe(0);
    expect(body.extraBytes()).toBe(GZIP_EXTRA_BYTES);
  });

  it('is kept once asked for when its holder accepts it: inflated once, the same buffer', async () => {
    const json = jsonOf(20_000);
    const body = await prepareBody(json, THRESHOLD);
    const accounted: number[] = [];
    body.keepPlain((plain) => {
      // Called with the body already holding it, so the holder can measure it.
      accounted.push(body.plainBytes(), plain.length);
      return true;
    });
    const before = inflationCount();
    const first = body.identity();
    const second = body.identity();
    expect(second).toBe(first);
    expect(body.text()).toBe(json);
    expect(inflationCount()).toBe(before + 1);
    expect(accounted).toEqual([json.length, json.length]);
    expect(body.plainBytes()).toBe(json.length);
    // What its holder's bound counts beside the gzip: the closing's share, and the JSON now.
    expect(body.extraBytes()).toBe(GZIP_EXTRA_BYTES + json.length);
  });

  it('is dropped when its holder declines it', async () => {
    const body = await prepareBody(jsonOf(20_000), THRESHOLD);
    body.keepPlain(() => false);
    const before = inflationCount();
    body.identity();
    body.identity();
    expect(inflationCount()).toBe(before + 2);
    expect(body.plainBytes()).toBe(0);
    expect(body.extraBytes()).toBe(GZIP_EXTRA_BYTES);
  });

  it('of an identity body is its bytes: never inflated, nothing kept', async () => {
    const body = await prepareBody('{"data":{}}', THRESHOLD);
    body.keepPlain(() => {
      throw new Error('never called');
    });
    const before = inflationCount();
    expect(body.identity()).toBe(body.bytes);
    expect(inflationCount()).toBe(before);
    expect(body.extraBytes()).toBe(0);
  });
});

describe('the Redis payload', () => {
  const entry = (body: StoredBody) => ({
    neverExpires: false,
    swrMs: 5,
    graceMs: 7,
    body,
  });

  it('carries a gzipped body with its CRC-32 and length', async () => {
    const json = jsonOf(20_000);
    const body = await prepareBody(json, THRESHOLD);
    const parsed = parsePayload(payloadOf(entry(body)));
    expect(parsed).toMatchObject({ neverExpires: false, swrMs: 5, graceMs: 7 });
    expect(parsed.body).toMatchObject({
      encoding: 'gzip',
      etag: body.etag,
      crc: body.crc,
      size: body.size,
    });
    expect(parsed.body.bytes.equals(body.bytes)).toBe(true);
    expect(gunzipSync(written(parsed.body, costTail(COST))).toString('utf8')).toBe(
      spliceCost(json, COST),
    );
  });

  it('carries an identity body as it is', () => {
    const json = '{"data":{"a":1}}';
    const parsed = parsePayload(
      payloadOf({
        ...entry(new StoredBody(Buffer.from(json), 'identity', etagOf(json))),
        neverExpires: true,
      }),
    );
    expect(parsed.neverExpires).toBe(true);
    expect(parsed.body).toMatchObject({ encoding: 'identity', etag: etagOf(json) });
    expect(parsed.body.text()).toBe(json);
  });

  it("reads format 1's complete gzip as the JSON, never as an open member", () => {
    const json = jsonOf(5_000);
    const legacy = Buffer.concat([
      Buffer.from(`e0,0 g ${etagOf(json)} ["Report:r1"]\n`),
      gzipSync(json),
    ]);
    const parsed = parsePayload(legacy);
    expect(parsed.body.encoding).toBe('identity');
    expect(parsed.body.etag).toBe(etagOf(json));
    expect(parsed.body.text()).toBe(json);
  });

  it('leaves the tags to a field of their own, read back as saved', () => {
    const tags = ['Report:r1', 'Agenda:u 1', 'Name:with "quotes" and\nnewline'];
    expect(tagsOf(Buffer.from(tagsField(tags)))).toEqual(tags);
  });
});
