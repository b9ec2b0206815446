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
    // Three files at a time on two cores: the suite waits more than it computes (breaker probes,
    // outbox polls, TTLs, processes and Redis topologies starting). With two, the whole run used
    // 39% of the two cores (293 s of CPU in 376 s, issue 20); a third file fills the waits. The
    // tests already allow for sharing the cores (timeouts and deadlines are generous).
    maxWorkers: 3,
    projects: [
      { extends: true, test: { name: 'yoga', include: ['test/**/*.test.ts'] } },
      {
        // The same behaviour through the node:http hit path in front of Yoga (STYLE: the slow
        // path stays the reference, and the fast one can't drift from it). A suite opts in by
        // its name, *.both.test.ts; the `yoga` project runs it in process as well.
        extends: true,
        test: {
          name: 'hit-path',
          include: ['test/**/*.both.test.ts'],
          env: { HOTPATH_TEST_VIA: 'http' },
        },
      },
    ],
  },
});
