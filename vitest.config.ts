import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql-js refuses to work with two copies of itself ("another module or realm"):
    // pin every import of graphql to the one CommonJS build.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'yoga', include: ['test/**/*.test.ts'] } },
      {
        // The same behaviour through the node:http hit path in front of Yoga (STYLE: the slow
        // path stays the reference, and the fast one can't drift from it).
        extends: true,
        test: {
          name: 'hit-path',
          include: [
            'test/api/access.test.ts',
            'test/api/smoke.test.ts',
            'test/cache/cluster-stats.test.ts',
            'test/cache/consistency.test.ts',
            'test/cache/failover.test.ts',
            'test/cache/failure.test.ts',
            'test/cache/invalidation.test.ts',
            'test/cache/operators.test.ts',
            'test/cache/scale-out.test.ts',
            'test/cache/scope-and-policy.test.ts',
            'test/cache/single-flight.test.ts',
            'test/cache/topologies.test.ts',
            'test/cache/stale.test.ts',
            'test/cache/outbox.test.ts',
            'test/http/persisted-queries.test.ts',
            'test/clients/apollo-client.test.ts',
            'test/clients/urql.test.ts',
          ],
          env: { HOTPATH_TEST_VIA: 'http' },
        },
      },
    ],
  },
});
