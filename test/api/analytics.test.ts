import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sale } from '../../src/db/entities/sale.entity.js';
import { buildTestApp, codes, dialects, type TestApp } from '../support/app.js';

const REPORT = `query($input: AnalyticsQueryInput!) {
  analytics(input: $input) { id metrics dimensions totalRows computedAt rows { keys values } }
}`;
const CREATE_STORE = `mutation($name: String!) { createStore(name: $name) { id name } }`;
const RECORD_SALE = `mutation($input: RecordSaleInput!) {
  recordSale(input: $input) { id channel amountCents soldAt store { id name } }
}`;
const STORES = `{ stores { id name } }`;

interface Row {
  keys: string[];
  values: number[];
}
interface Report {
  id: string;
  metrics: string[];
  dimensions: string[];
  totalRows: number;
  computedAt: string;
  rows: Row[];
}
interface SaleInput {
  storeId: string;
  channel: string;
  amountCents: number;
  soldAt: string;
}

const FEB_AND_MARCH = { start: '2026-02-01', end: '2026-03-31' };
const ALL_METRICS = ['ORDER_COUNT', 'REVENUE', 'AVERAGE_TICKET'];

describe.each(dialects)('analytics on %s', (dialect) => {
  let app: TestApp;

  async function createStore(key: string, name: string): Promise<string> {
    const res = await app.execute(CREATE_STORE, { name }, key);
    expect(res.body.errors).toBeUndefined();
    return res.data.createStore.id;
  }

  async function recordSales(key: string, sales: SaleInput[]) {
    for (const input of sales) {
      const res = await app.execute(RECORD_SALE, { input }, key);
      expect(res.body.errors).toBeUndefined();
    }
  }

  async function report(key: string, input: Record<string, unknown>): Promise<Report> {
    const res = await app.execute<{ analytics: Report }>(REPORT, { input }, key);
    expect(res.body.errors).toBeUndefined();
    return res.data.analytics;
  }

  /** The single error of a request the resolver refused. */
  async function rejection(query: string, variables: Record<string, unknown>, key: string) {
    const res = await app.execute(query, variables, key);
    expect(res.data).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    const error = res.body.errors?.[0] as { message: string; extensions?: Record<string, unknown> };
    return { code: error.extensions?.code, field: error.extensions?.field, message: error.message };
  }

  /**
   * A tenant in São Paulo (UTC-3 all year) with two stores and six sales. Two of them sit on the
   * night of Feb 28 → Mar 1, where the UTC date and the local date differ.
   */
  let key: string;
  let tenantId: string;
  let storeA: string;
  let storeB: string;
  let other: { key: string; tenantId: string; store: string };

  beforeAll(async () => {
    app = await buildTestApp(dialect);
    const created = await app.createTenant('Padaria', 'America/Sao_Paulo');
    key = created.key;
    tenantId = created.tenant.id;
    storeA = await createStore(key, 'Centro');
    storeB = await createStore(key, 'Bairro');
    await recordSales(key, [
      { storeId: storeA, channel: 'web', amountCents: 1000, soldAt: '2026-02-10T12:00:00Z' },
      { storeId: storeA, channel: 'store', amountCents: 2500, soldAt: '2026-02-10T15:00:00Z' },
      { storeId: storeB, channel: 'web', amountCents: 4000, soldAt: '2026-02-11T12:00:00Z' },
      // 22:30 on Feb 28 in São Paulo.
      { storeId: storeB, channel: 'web', amountCents: 1501, soldAt: '2026-03-01T01:30:00Z' },
      // Midnight on Mar 1 in São Paulo.
      { storeId: storeA, channel: 'app', amountCents: 3000, soldAt: '2026-03-01T03:00:00Z' },
      { storeId: storeB, channel: 'store', amountCents: 500, soldAt: '2026-03-15T12:00:00Z' },
    ]);

    const second = await app.createTenant('Outra', 'America/Sao_Paulo');
    const otherStore = await createStore(second.key, 'Longe');
    await recordSales(second.key, [
      { storeId: otherStore, channel: 'web', amountCents: 99_999, soldAt: '2026-02-10T12:00:00Z' },
      { storeId: otherStore, channel: 'kiosk', amountCents: 7, soldAt: '2026-03-01T01:30:00Z' },
    ]);
    other = { key: second.key, tenantId: second.tenant.id, store: otherStore };
  });
  afterAll(() => app.close());

  describe('metrics and dimensions', () => {
    it('answers one totals row with empty keys when no dimension is asked for', async () => {
      const result = await report(key, { metrics: ALL_METRICS, dateRange: FEB_AND_MARCH });
      expect(result).toMatchObject({ metrics: ALL_METRICS, dimensions: [], totalRows: 1 });
      expect(result.rows).toEqual([{ keys: [], values: [6, 12501, 12501 / 6] }]);
    });

    it('gives metric values in request order', async () => {
      const result = await report(key, {
        metrics: ['AVERAGE_TICKET', 'ORDER_COUNT', 'REVENUE'],
        dateRange: FEB_AND_MARCH,
      });
      expect(result.metrics).toEqual(['AVERAGE_TICKET', 'ORDER_COUNT', 'REVENUE']);
      expect(result.rows).toEqual([{ keys: [], values: [12501 / 6, 6, 12501] }]);
    });

    it('answers zeros, and an average ticket of 0, when there are no orders', async () => {
      const result = await report(key, {
        metrics: ALL_METRICS,
        dateRange: { start: '2025-01-01', end: '2025-01-31' },
      });
      expect(result.rows).toEqual([{ keys: [], values: [0, 0, 0] }]);
    });

    it('answers no rows when a dimension is asked for and nothing sold', async () => {
      const result = await report(key, {
        metrics: ['REVENUE'],
        dimensions: ['CHANNEL'],
        dateRange: { start: '2025-01-01', end: '2025-01-31' },
      });
      expect(result).toMatchObject({ rows: [], totalRows: 0 });
    });

    it('groups by CHANNEL', async () => {
      const result = await report(key, {
        metrics: ALL_METRICS,
        dimensions: ['CHANNEL'],
        dateRange: FEB_AND_MARCH,
      });
      expect(result).toMatchObject({ dimensions: ['CHANNEL'], totalRows: 3 });
      expect(result.rows).toEqual([
        { keys: ['app'], values: [1, 3000, 3000] },
        { keys: ['store'], values: [2, 3000, 1500] },
        { keys: ['web'], values: [3, 6501, 2167] },
      ]);
    });

    it('groups by STORE, keyed by store id', async () => {
      const result = await report(key, {
        metrics: ALL_METRICS,
        dimensions: ['STORE'],
        dateRange: FEB_AND_MARCH,
      });
      const expected = [
        { keys: [storeA], values: [3, 6500, 6500 / 3] },
        { keys: [storeB], values: [3, 6001, 6001 / 3] },
      ].sort((a, b) => (a.keys[0] < b.keys[0] ? -1 : 1));
      expect(result.rows).toEqual(expected);
    });

    it("groups by DAY in the tenant's time zone", async () => {
      const result = await report(key, {
        metrics: ['ORDER_COUNT', 'REVENUE'],
        dimensions: ['DAY'],
        dateRange: FEB_AND_MARCH,
      });
      expect(result.rows).toEqual([
        { keys: ['2026-02-10'], values: [2, 3500] },
        { keys: ['2026-02-11'], values: [1, 4000] },
        { keys: ['2026-02-28'], values: [1, 1501] },
        { keys: ['2026-03-01'], values: [1, 3000] },
        { keys: ['2026-03-15'], values: [1, 500] },
      ]);
    });

    it("groups by MONTH in the tenant's time zone", async () => {
      const result = await report(key, {
        metrics: ['ORDER_COUNT', 'REVENUE'],
        dimensions: ['MONTH'],
        dateRange: FEB_AND_MARCH,
      });
      expect(result.rows).toEqual([
        { keys: ['2026-02'], values: [4, 9001] },
        { keys: ['2026-03'], values: [2, 3500] },
      ]);
    });

    it('combines dimensions, keys in request order and rows ordered by keys', async () => {
      const monthFirst = await report(key, {
        metrics: ['REVENUE', 'ORDER_COUNT'],
        dimensions: ['MONTH', 'CHANNEL'],
        dateRange: FEB_AND_MARCH,
      });
      expect(monthFirst).toMatchObject({ dimensions: ['MONTH', 'CHANNEL'], totalRows: 4 });
      expect(monthFirst.rows).toEqual([
        { keys: ['2026-02', 'store'], values: [2500, 1] },
        { keys: ['2026-02', 'web'], values: [6501, 3] },
        { keys: ['2026-03', 'app'], values: [3000, 1] },
        { keys: ['2026-03', 'store'], values: [500, 1] },
      ]);

      const channelFirst = await report(key, {
        metrics: ['REVENUE', 'ORDER_COUNT'],
        dimensions: ['CHANNEL', 'MONTH'],
        dateRange: FEB_AND_MARCH,
      });
      expect(channelFirst.rows).toEqual([
        { keys: ['app', '2026-03'], values: [3000, 1] },
        { keys: ['store', '2026-02'], values: [2500, 1] },
        { keys: ['store', '2026-03'], values: [500, 1] },
        { keys: ['web', '2026-02'], values: [6501, 3] },
      ]);
    });

    it('combines STORE, DAY and CHANNEL', async () => {
      const result = await report(key, {
        metrics: ['ORDER_COUNT'],
        dimensions: ['STORE', 'DAY', 'CHANNEL'],
        dateRange: { start: '2026-02-10', end: '2026-02-28' },
      });
      const expected = [
        { keys: [storeA, '2026-02-10', 'store'], values: [1] },
        { keys: [storeA, '2026-02-10', 'web'], values: [1] },
        { keys: [storeB, '2026-02-11', 'web'], values: [1] },
        { keys: [storeB, '2026-02-28', 'web'], values: [1] },
      ].sort((a, b) => (a.keys[0] === b.keys[0] ? 0 : a.keys[0] < b.keys[0] ? -1 : 1));
      expect(result.rows).toEqual(expected);
    });
  });

  describe('time zones', () => {
    it("includes both days of the range, edge to edge, in the tenant's time zone", async () => {
      const { key: zoneKey } = await app.createTenant('Bordas', 'America/Sao_Paulo');
      const store = await createStore(zoneKey, 'Loja');
      const sale = (soldAt: string, amountCents: number) => ({
        storeId: store,
        channel: 'web',
        amountCents,
        soldAt,
      });
      await recordSales(zoneKey, [
        sale('2026-02-27T02:59:59.999Z', 1), // Feb 26, 23:59:59.999 local
        sale('2026-02-27T03:00:00.000Z', 10), // Feb 27, 00:00 local
        sale('2026-03-01T02:30:00.000Z', 100), // Feb 28, 23:30 local
        sale('2026-03-01T02:59:59.999Z', 1000), // Feb 28, 23:59:59.999 local
        sale('2026-03-01T03:00:00.000Z', 10000), // Mar 1, 00:00 local
      ]);

      const range = await report(zoneKey, {
        metrics: ['REVENUE'],
        dimensions: ['DAY'],
        dateRange: { start: '2026-02-27', end: '2026-02-28' },
      });
      expect(range.rows).toEqual([
        { keys: ['2026-02-27'], values: [10] },
        { keys: ['2026-02-28'], values: [1100] },
      ]);

      const oneDay = await report(zoneKey, {
        metrics: ['REVENUE'],
        dimensions: ['MONTH'],
        dateRange: { start: '2026-03-01', end: '2026-03-01' },
      });
      expect(oneDay.rows).toEqual([{ keys: ['2026-03'], values: [10000] }]);
    });

    it("reads days in the tenant's own zone, not a default one", async () => {
      // 16:00 UTC on Feb 28 is 01:00 on Mar 1 in Tokyo (and 13:00 on Feb 28 in São Paulo).
      const { key: tokyoKey } = await app.createTenant('Tokyo', 'Asia/Tokyo');
      const store = await createStore(tokyoKey, 'Shibuya');
      await recordSales(tokyoKey, [
        { storeId: store, channel: 'web', amountCents: 300, soldAt: '2026-02-28T16:00:00Z' },
        { storeId: store, channel: 'web', amountCents: 200, soldAt: '2026-02-28T14:59:59Z' },
      ]);
      const result = await report(tokyoKey, {
        metrics: ['REVENUE'],
        dimensions: ['MONTH', 'DAY'],
        dateRange: { start: '2026-02-01', end: '2026-03-31' },
      });
      expect(result.rows).toEqual([
        { keys: ['2026-02', '2026-02-28'], values: [200] },
        { keys: ['2026-03', '2026-03-01'], values: [300] },
      ]);
      const march = await report(tokyoKey, {
        metrics: ['REVENUE'],
        dateRange: { start: '2026-03-01', end: '2026-03-31' },
      });
      expect(march.rows).toEqual([{ keys: [], values: [300] }]);
    });

    it('reads days across a daylight saving change', async () => {
      // New York springs forward on Mar 8 2026: 23:30 local is 04:30 UTC before, 03:30 UTC after.
      const { key: nyKey } = await app.createTenant('New York', 'America/New_York');
      const store = await createStore(nyKey, 'Queens');
      await recordSales(nyKey, [
        { storeId: store, channel: 'web', amountCents: 1, soldAt: '2026-03-08T04:30:00Z' },
        { storeId: store, channel: 'web', amountCents: 10, soldAt: '2026-03-09T03:30:00Z' },
        { storeId: store, channel: 'web', amountCents: 100, soldAt: '2026-03-09T04:30:00Z' },
      ]);
      const result = await report(nyKey, {
        metrics: ['REVENUE'],
        dimensions: ['DAY'],
        dateRange: { start: '2026-03-07', end: '2026-03-08' },
      });
      expect(result.rows).toEqual([
        { keys: ['2026-03-07'], values: [1] },
        { keys: ['2026-03-08'], values: [10] },
      ]);
    });
  });

  describe('filters', () => {
    it('keeps only the given channels', async () => {
      const result = await report(key, {
        metrics: ['ORDER_COUNT', 'REVENUE'],
        dimensions: ['CHANNEL'],
        filters: { channels: ['web', 'app'] },
        dateRange: FEB_AND_MARCH,
      });
      expect(result.rows).toEqual([
        { keys: ['app'], values: [1, 3000] },
        { keys: ['web'], values: [3, 6501] },
      ]);
    });

    it('keeps only the given stores', async () => {
      const result = await report(key, {
        metrics: ['ORDER_COUNT', 'REVENUE'],
        filters: { storeIds: [storeB] },
        dateRange: FEB_AND_MARCH,
      });
      expect(result.rows).toEqual([{ keys: [], values: [3, 6001] }]);
    });

    it('applies channel and store filters together', async () => {
      const result = await report(key, {
        metrics: ['ORDER_COUNT', 'REVENUE'],
        dimensions: ['DAY'],
        filters: { channels: ['web'], storeIds: [storeB] },
        dateRange: FEB_AND_MARCH,
      });
      expect(result.rows).toEqual([
        { keys: ['2026-02-11'], values: [1, 4000] },
        { keys: ['2026-02-28'], values: [1, 1501] },
      ]);
    });

    it('matches nothing with an empty filter list', async () => {
      const noChannel = await report(key, {
        metrics: ['ORDER_COUNT'],
        filters: { channels: [] },
        dateRange: FEB_AND_MARCH,
      });
      expect(noChannel.rows).toEqual([{ keys: [], values: [0] }]);
      const noStore = await report(key, {
        metrics: ['ORDER_COUNT'],
        dimensions: ['STORE'],
        filters: { storeIds: [] },
        dateRange: FEB_AND_MARCH,
      });
      expect(noStore.rows).toEqual([]);
    });
  });

  describe('cost', () => {
    it('answers a report with exactly one SQL statement once the key is known', async () => {
      await report(key, { metrics: ['REVENUE'], dateRange: FEB_AND_MARCH });
      app.counter.reset();
      const result = await report(key, {
        metrics: ALL_METRICS,
        dimensions: ['STORE', 'CHANNEL', 'DAY', 'MONTH'],
        filters: { channels: ['web', 'store'], storeIds: [storeA, storeB] },
        dateRange: FEB_AND_MARCH,
      });
      expect(result.totalRows).toBe(5);
      expect(app.counter.count).toBe(1);
    });
  });

  describe('tenant isolation', () => {
    it("never counts another tenant's sales", async () => {
      const mine = await report(key, {
        metrics: ['ORDER_COUNT', 'REVENUE'],
        dimensions: ['CHANNEL'],
        dateRange: FEB_AND_MARCH,
      });
      expect(mine.rows.map((r) => r.keys[0])).toEqual(['app', 'store', 'web']);
      expect(mine.rows.find((r) => r.keys[0] === 'web')?.values).toEqual([3, 6501]);

      const theirs = await report(other.key, {
        metrics: ['ORDER_COUNT', 'REVENUE'],
        dimensions: ['CHANNEL'],
        dateRange: FEB_AND_MARCH,
      });
      expect(theirs.rows).toEqual([
        { keys: ['kiosk'], values: [1, 7] },
        { keys: ['web'], values: [1, 99_999] },
      ]);
    });

    it("finds nothing when filtering by another tenant's store", async () => {
      const result = await report(key, {
        metrics: ['ORDER_COUNT'],
        filters: { storeIds: [other.store] },
        dateRange: FEB_AND_MARCH,
      });
      expect(result.rows).toEqual([{ keys: [], values: [0] }]);
    });

    it("answers NOT_FOUND for a sale in another tenant's store and writes nothing", async () => {
      const sales = app.db.getRepository(Sale);
      const before = await sales.count();
      const res = await app.execute(
        RECORD_SALE,
        {
          input: {
            storeId: other.store,
            channel: 'web',
            amountCents: 100,
            soldAt: '2026-02-10T12:00:00Z',
          },
        },
        key,
      );
      expect(res.data).toBeNull();
      expect(codes(res.body)).toEqual(['NOT_FOUND']);
      expect(await sales.count()).toBe(before);
      expect(await sales.countBy({ storeId: other.store })).toBe(2);
    });

    it("lists only the tenant's own stores, by name", async () => {
      const res = await app.execute(STORES, {}, key);
      expect(res.body.errors).toBeUndefined();
      expect(res.data.stores).toEqual([
        { id: storeB, name: 'Bairro' },
        { id: storeA, name: 'Centro' },
      ]);
    });
  });

  describe('report id', () => {
    const base = {
      metrics: ['REVENUE', 'ORDER_COUNT'],
      dimensions: ['CHANNEL'],
      dateRange: FEB_AND_MARCH,
    };

    it('is the same for the same question with filters in another order', async () => {
      const first = await report(key, {
        ...base,
        filters: { channels: ['web', 'app'], storeIds: [storeA, storeB] },
      });
      const second = await report(key, {
        ...base,
        filters: { storeIds: [storeB, storeA], channels: ['app', 'web', 'web'] },
      });
      expect(second.id).toBe(first.id);
      expect(second.rows).toEqual(first.rows);
    });

    it('differs for another tenant or another question', async () => {
      const reference = (await report(key, base)).id;
      const ids = [
        (await report(other.key, base)).id,
        (await report(key, { ...base, metrics: ['ORDER_COUNT', 'REVENUE'] })).id,
        (await report(key, { ...base, dimensions: ['STORE'] })).id,
        (await report(key, { ...base, dimensions: [] })).id,
        (await report(key, { ...base, filters: { channels: ['web'] } })).id,
        (await report(key, { ...base, filters: { storeIds: [storeA] } })).id,
        (await report(key, { ...base, dateRange: { start: '2026-02-01', end: '2026-03-30' } })).id,
      ];
      expect(ids).not.toContain(reference);
      expect(new Set(ids).size).toBe(ids.length);
      expect(reference.startsWith(`${tenantId}:`)).toBe(true);
      expect(ids[0].startsWith(`${other.tenantId}:`)).toBe(true);
    });
  });

  describe('sales and stores', () => {
    it('records a sale and returns it with its store', async () => {
      const res = await app.execute(
        RECORD_SALE,
        {
          input: {
            storeId: storeA,
            channel: '  phone  ',
            amountCents: 0,
            soldAt: '2025-12-24T18:30:00-03:00',
          },
        },
        key,
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.data.recordSale).toEqual({
        id: expect.any(String),
        channel: 'phone',
        amountCents: 0,
        soldAt: '2025-12-24T21:30:00.000Z',
        store: { id: storeA, name: 'Centro' },
      });
      const stored = await app.db
        .getRepository(Sale)
        .findOneByOrFail({ id: res.data.recordSale.id });
      expect(stored).toMatchObject({ tenantId, storeId: storeA, channel: 'phone', amountCents: 0 });
      expect(stored.soldAt.toISOString()).toBe('2025-12-24T21:30:00.000Z');
    });

    it('creates a store with a trimmed 200-character name', async () => {
      const { key: storeKey } = await app.createTenant('Lojas');
      const long = 'x'.repeat(200);
      const res = await app.execute(CREATE_STORE, { name: `  ${long} ` }, storeKey);
      expect(res.body.errors).toBeUndefined();
      expect(res.data.createStore).toEqual({ id: expect.any(String), name: long });
      const list = await app.execute(STORES, {}, storeKey);
      expect(list.data.stores).toEqual([res.data.createStore]);
    });
  });

  describe('validation', () => {
    const valid = { metrics: ['REVENUE'], dateRange: FEB_AND_MARCH };

    it.each([
      [
        'end before start',
        { ...valid, dateRange: { start: '2026-03-02', end: '2026-03-01' } },
        'input.dateRange.end',
      ],
      [
        'a range of 401 days',
        { ...valid, dateRange: { start: '2026-01-01', end: '2027-02-05' } },
        'input.dateRange',
      ],
      ['no metric', { ...valid, metrics: [] }, 'input.metrics'],
      ['a repeated metric', { ...valid, metrics: ['REVENUE', 'REVENUE'] }, 'input.metrics'],
      ['a repeated dimension', { ...valid, dimensions: ['DAY', 'DAY'] }, 'input.dimensions'],
      [
        'an empty channel filter',
        { ...valid, filters: { channels: [' '] } },
        'input.filters.channels.0',
      ],
    ])('rejects %s as BAD_USER_INPUT naming the field', async (_, input, field) => {
      const error = await rejection(REPORT, { input }, key);
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(error.message.startsWith(`${field}: `)).toBe(true);
    });

    it('accepts a range of exactly 400 days and a single day', async () => {
      const long = await report(key, {
        ...valid,
        dateRange: { start: '2026-01-01', end: '2027-02-04' },
      });
      expect(long.rows).toEqual([{ keys: [], values: [12501] }]);
      const single = await report(key, {
        ...valid,
        dateRange: { start: '2026-02-10', end: '2026-02-10' },
      });
      expect(single.rows).toEqual([{ keys: [], values: [3500] }]);
    });

    // The Date scalar and the enum reject these while coercing variables, before any resolver.
    it.each([
      [
        'the impossible date 2026-02-30',
        { dateRange: { start: '2026-02-30', end: '2026-03-31' } },
        'input.dateRange.start',
      ],
      [
        'the unpadded date 2026-1-1',
        { dateRange: { start: '2026-01-01', end: '2026-1-1' } },
        'input.dateRange.end',
      ],
      ['the unknown metric PROFIT', { metrics: ['REVENUE', 'PROFIT'] }, 'input.metrics[1]'],
    ])('rejects %s sent as a variable', async (_, change, field) => {
      app.counter.reset();
      const res = await app.execute(REPORT, { input: { ...valid, ...change } }, key);
      expect(res.status).toBe(400);
      expect(res.data).toBeUndefined();
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors?.[0]).toMatchObject({
        message: expect.stringContaining(`at "${field}"`),
        extensions: { code: 'BAD_USER_INPUT', field },
      });
      expect(app.counter.count).toBe(0);
    });

    it('rejects a malformed date written in the query text', async () => {
      const res = await app.execute(
        `{ analytics(input: { metrics: [REVENUE], dateRange: { start: "2026-02-30", end: "2026-03-31" } }) { id } }`,
        {},
        key,
      );
      expect(res.data).toBeUndefined();
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/^input\.dateRange\.start: /),
        extensions: { code: 'BAD_USER_INPUT', field: 'input.dateRange.start' },
      });
    });

    const sale = () => ({
      storeId: storeA,
      channel: 'web',
      amountCents: 100,
      soldAt: '2026-02-10T12:00:00Z',
    });

    it.each([
      ['a negative amount', { amountCents: -1 }, 'input.amountCents'],
      ['an empty channel', { channel: '   ' }, 'input.channel'],
      ['a 51-character channel', { channel: 'c'.repeat(51) }, 'input.channel'],
    ])('rejects a sale with %s and writes nothing', async (_, change, field) => {
      const sales = app.db.getRepository(Sale);
      const before = await sales.count();
      const error = await rejection(RECORD_SALE, { input: { ...sale(), ...change } }, key);
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(error.message.startsWith(`${field}: `)).toBe(true);
      expect(await sales.count()).toBe(before);
    });

    it.each([
      ['an empty store name', ''],
      ['a blank store name', '   '],
      ['a 201-character store name', 'n'.repeat(201)],
    ])('rejects %s', async (_, name) => {
      const error = await rejection(CREATE_STORE, { name }, key);
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      expect(error.message.startsWith('name: ')).toBe(true);
    });
  });
});
