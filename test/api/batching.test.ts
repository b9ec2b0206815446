import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Appointment } from '../../src/db/entities/appointment.entity.js';
import { Service } from '../../src/db/entities/service.entity.js';
import type { AgendaWithRelationsQuery } from '../gql/graphql.js';
import { graphql } from '../gql/index.js';
import { buildTestApp, dialects, type TestApp } from '../support/app.js';

const AgendaWithRelations = graphql(`
  query AgendaWithRelations($userId: ID!, $date: Date!) {
    agenda(userId: $userId, date: $date) {
      id
      appointments {
        id
        provider { name }
        service { name priceCents }
      }
    }
  }
`);

const ServicesOfThreeUsers = graphql(`
  query ServicesOfThreeUsers($a: ID!, $b: ID!, $c: ID!) {
    a: services(userId: $a) { name user { name } }
    b: services(userId: $b) { name user { name } }
    c: services(userId: $c) { name user { name } }
  }
`);

describe.each(dialects)('DataLoader batching on %s', (dialect) => {
  let app: TestApp;
  let key: string;
  let tenantId: string;

  beforeAll(async () => {
    app = await buildTestApp(dialect);
    ({
      key,
      tenant: { id: tenantId },
    } = await app.createTenant('Batch', 'UTC'));
  });
  afterAll(() => app.close());

  async function serviceOf(userId: string, name: string) {
    return app.db.getRepository(Service).save({
      id: randomUUID(),
      tenantId,
      userId,
      name,
      durationMinutes: 30,
      priceCents: 1000,
      active: true,
      createdAt: new Date(),
      deletedAt: null,
    });
  }

  /** Runs once so the key is known, then counts only what the measured request sends. */
  async function countStatements(run: () => Promise<unknown>) {
    await app.execute('{ __typename }', {}, key);
    app.counter.reset();
    await run();
    return app.counter.count;
  }

  it('an agenda of 50 appointments with provider and service runs at most 3 statements', async () => {
    const user = await app.createUser(tenantId, 'Dana');
    const services = await Promise.all([1, 2, 3, 4, 5].map((i) => serviceOf(user.id, `S${i}`)));
    const day = Date.parse('2026-05-04T08:00:00Z');
    await app.db.getRepository(Appointment).save(
      Array.from({ length: 50 }, (_, i) => ({
        id: randomUUID(),
        tenantId,
        userId: user.id,
        serviceId: services[i % 5].id,
        clientName: `Client ${i}`,
        startsAt: new Date(day + i * 10 * 60_000),
        endsAt: new Date(day + i * 10 * 60_000 + 30 * 60_000),
        status: 'CONFIRMED' as const,
        createdAt: new Date(),
        updatedAt: new Date(),
      })),
    );

    let agenda: AgendaWithRelationsQuery['agenda'] | undefined;
    const statements = await countStatements(async () => {
      const res = await app.execute(
        AgendaWithRelations,
        { userId: user.id, date: '2026-05-04' },
        key,
      );
      expect(res.body.errors).toBeUndefined();
      agenda = res.data.agenda;
    });
    expect(agenda?.appointments).toHaveLength(50);
    expect(agenda?.appointments[0]).toMatchObject({
      provider: { name: 'Dana' },
      service: { name: 'S1' },
    });
    // the user, the day's appointments, their services
    expect(statements).toBe(3);
  });

  it('services with user for 3 users in one document runs at most 2 statements', async () => {
    const users = await Promise.all(['Ana', 'Bia', 'Caio'].map((n) => app.createUser(tenantId, n)));
    for (const u of users) {
      await serviceOf(u.id, `${u.name} cut`);
      await serviceOf(u.id, `${u.name} color`);
    }
    let data: any;
    const statements = await countStatements(async () => {
      const res = await app.execute(
        ServicesOfThreeUsers,
        { a: users[0].id, b: users[1].id, c: users[2].id },
        key,
      );
      expect(res.body.errors).toBeUndefined();
      data = res.body.data;
    });
    expect(data.a.map((s: { name: string }) => s.name)).toEqual(['Ana color', 'Ana cut']);
    expect(data.c[0].user.name).toBe('Caio');
    // the three users, then all their services
    expect(statements).toBe(2);
  });
});
