import { createRequire } from 'node:module';
import { relative } from 'node:path';
import { configDefaults, defineConfig, type TestProjectConfiguration } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const require = createRequire(import.meta.url);

/**
 * Files whose assertions hold a request or a whole recovery to a few tens of milliseconds (a
 * 50 ms Redis timeout, a p50 under it, a 1.4 s window inside a 1.5 s CLIENT PAUSE, a breaker
 * probe every 100 ms), that drive a process with hostile load, or whose time-boxed workload
 * must reach a state (chaos: Redis evicting): they run after the others, two at a time, as the
 * whole suite used to (one core each). On a machine loaded by other work they were the ones
 * to fail (issue 20's CI runs at a load of 15 to 20 on two cores).
 */
const TIGHT = [
  // Longest first (about 34, 19 twice, 11, 5 and 2 s here): the group runs in this order, see
  // TightLongestFirst.
  'test/cache/chaos.test.ts',
  'test/cache/failure.both.test.ts',
  'test/cache/breaker.test.ts',
  'test/hostile-process.test.ts',
  'test/cache/outbox.both.test.ts',
];

/**
 * Everything else runs three files at a time on two cores: the suite waits more than it
 * computes (Redis topologies and processes starting, TTLs, polls). With two at a time the whole
 * run used 39% of the two cores (293 s of CPU in 376 s, issue 20); a third file fills the waits.
 * A fourth does not: with 124 files it took 411 s on Node 24 where three took 370 s (the files
 * then compete for the CPU, importing the app above all). Both were measured when every file
 * had a process of its own; now that WIDE files share them (below), a fourth is untried.
 */
const WIDE = { groupOrder: 0, maxWorkers: 3, isolate: false };
const NARROW = { groupOrder: 1, maxWorkers: 2, isolate: true };

/**
 * A WIDE worker runs file after file in one process (isolate: false): each file used to fork a
 * process and import the app again, about 2 s of CPU per file (38 s of imports for 20 small
 * files, 8 s in shared processes), most of what the two cores did in the WIDE group. Every
 * file still builds its own apps, databases and Redis prefixes. These files keep a process of
 * their own: tracing starts OpenTelemetry's global provider and sets OTEL_* variables, and
 * store.test.ts counts every unhandled rejection of its process. The TIGHT files keep theirs
 * too: nothing left by an earlier file may run while they time a request.
 */
const OWN_PROCESS = ['test/telemetry/tracing.test.ts', 'test/cache/store.test.ts'];

/**
 * Vitest's order, but the TIGHT group in the order of TIGHT (longest first, whatever the
 * project) and the OWN_PROCESS files first in theirs. Vitest runs one project after the other
 * and, without a cache of durations (CI after npm ci), larger files first: the TIGHT group
 * ended with chaos's 34 s and the second failure.both run one after the other on a worker
 * while the other worker idled (57 s where 46 s do); the OWN_PROCESS files ran last, alone.
 */
class TightLongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const file = relative(spec.project.config.root, spec.moduleId);
      if (OWN_PROCESS.includes(file)) return -1;
      return TIGHT.includes(file) ? TIGHT.indexOf(file) : 0;
    };
    const group = (spec: TestSpecification) => spec.project.config.sequence.groupOrder;
    // Array.prototype.sort is stable: within a rank, Vitest's own order stays.
    return sorted.sort((a, b) => group(a) - group(b) || rank(a) - rank(b));
  }
}

/**
 * A `yoga` project (in process) for the files, and a `hit-path` project for their
 * *.both.test.ts: the same behaviour through the node:http hit path in front of Yoga (STYLE:
 * the slow path stays the reference, and the fast one can't drift from it). A suite opts in by
 * its name, *.both.test.ts; the `yoga` project runs it in process as well.
 */
function runBothWays(
  suffix: string,
  files: { include: string[]; exclude?: string[] },
  group: { groupOrder: number; maxWorkers: number; isolate: boolean },
): TestProjectConfiguration[] {
  const exclude = [...configDefaults.exclude, ...(files.exclude ?? [])];
  const both = files.include.map((f) => f.replace(/(\.both)?\.test\.ts$/, '.both.test.ts'));
  const common = {
    maxWorkers: group.maxWorkers,
    isolate: group.isolate,
    sequence: { groupOrder: group.groupOrder },
  };
  return [
    { extends: true, test: { ...common, name: `yoga${suffix}`, include: files.include, exclude } },
    {
      extends: true,
      test: {
        ...common,
        name: `hit-path${suffix}`,
        include: both,
        exclude,
        env: { HOTPATH_TEST_VIA: 'http' },
      },
    },
  ];
}

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
    sequence: { sequencer: TightLongestFirst },
    projects: [
      ...runBothWays(
        '',
        { include: ['test/**/*.test.ts'], exclude: [...TIGHT, ...OWN_PROCESS] },
        WIDE,
      ),
      // In the WIDE group (same groupOrder and maxWorkers), each file in a process of its own.
      ...runBothWays('-own', { include: OWN_PROCESS }, { ...WIDE, isolate: true }),
      ...runBothWays('-tight', { include: TIGHT }, NARROW),
    ],
  },
});
