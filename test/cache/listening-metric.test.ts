import { describe, expect, it } from 'vitest';
import { createCacheStats } from '../../src/cache/stats/stats.js';

// hotpath_db_listening: one series per LISTEN connection the app has, 1 or 0; none for a
// listener that isn't there (SQLite), so an alert on 0 never fires without PostgreSQL.
describe('hotpath_db_listening', () => {
  it('is 1 while listening, 0 while reconnecting, and absent without a listener', async () => {
    const stats = createCacheStats();
    let outbox: boolean | null = true;
    let revocations: boolean | null = null;
    stats.provide({
      listeners: () => [
        { name: 'outbox', listening: outbox },
        { name: 'revocations', listening: revocations },
      ],
    });
    const series = async () =>
      (await stats.registry.metrics())
        .split('\n')
        .filter((line) => line.startsWith('hotpath_db_listening{'));
    expect(await series()).toEqual(['hotpath_db_listening{listener="outbox"} 1']);
    outbox = false;
    revocations = true;
    expect(await series()).toEqual([
      'hotpath_db_listening{listener="outbox"} 0',
      'hotpath_db_listening{listener="revocations"} 1',
    ]);
    outbox = null;
    revocations = null;
    expect(await series()).toEqual([]);
  });
});
