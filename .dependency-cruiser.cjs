/**
 * What may import what in src/ (docs/architecture.md draws the same map). Arrows point down:
 *   main -> app -> http -> yoga -> schema -> services -> loaders -> db
 * and http/yoga -> cache; the cache never imports Yoga, the HTTP front, the schema or the
 * services. auth, errors and the leaf files at the root of src/ import nothing above them.
 * Run by `npm run lint:deps` in CI (.ci/run).
 */
const above = (...folders) => `^src/(${folders.join('|')})(/|\\.ts$)`;
// The configuration is parsed at the top and handed down: each part declares the shape it
// takes (src/cache/cache-config.ts, src/db/data-source.ts) and config.ts imports it.
const TOP = ['main', 'app', 'config'];

/** One rule per layer: `from` (but `except`) may not import any of `to`. */
const layer = (name, from, to, comment, except) => ({
  name,
  comment,
  severity: 'error',
  from: except ? { path: from, pathNot: except } : { path: from },
  to: { path: above(...to) },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No import cycles. The only ones allowed are between Pothos type refs in src/schema/ ' +
        '(a type and the types it points to, e.g. service.ts <-> user.ts).',
      from: {},
      to: { circular: true, viaOnly: { pathNot: '^src/schema/' } },
    },
    {
      name: 'main-has-no-importers',
      severity: 'error',
      comment: 'src/main.ts is the only file with side effects: nothing imports it.',
      from: {},
      to: { path: '^src/main\\.ts$' },
    },
    layer(
      'http-below-app',
      '^src/http/',
      TOP,
      'The node:http front is wired by app.ts; it never reaches back up.',
    ),
    layer(
      'yoga-below-http',
      '^src/yoga/',
      [...TOP, 'http'],
      'Yoga sits behind the HTTP front: http -> yoga, never the other way.',
    ),
    layer(
      'schema-below-yoga',
      '^src/schema/',
      [...TOP, 'http', 'yoga'],
      'The schema is served by Yoga; it knows services, loaders and cache tags only.',
    ),
    layer(
      'services-below-schema',
      '^src/services/',
      [...TOP, 'http', 'yoga', 'schema', 'context'],
      'Business rules know nothing of GraphQL, Yoga or HTTP.',
    ),
    layer(
      'loaders-below-services',
      '^src/loaders/',
      [...TOP, 'http', 'yoga', 'schema', 'context', 'services', 'cache', 'warming'],
      'Batch functions read the database only.',
    ),
    layer(
      'db-at-the-bottom',
      '^src/db/',
      [
        ...TOP,
        'http',
        'yoga',
        'schema',
        'context',
        'services',
        'loaders',
        'cache',
        'warming',
        'auth',
        'ops',
      ],
      'Entities, migrations and the seed import nothing of the layers above. The seed CLI is an ' +
        'entry point, as main is: it parses the configuration.',
      '^src/db/seed-cli\\.ts$',
    ),
    layer(
      'cache-never-imports-yoga',
      '^src/cache/',
      [...TOP, 'http', 'yoga', 'schema', 'context', 'services', 'loaders', 'warming'],
      'The cache is used by http and yoga; it never imports them, the schema or services.',
    ),
    layer(
      'budget-below-yoga',
      '^src/budget/',
      [...TOP, 'http', 'yoga', 'schema', 'context', 'services', 'loaders', 'warming', 'ops'],
      'Cost budgets (buckets, plans, the bulkhead) are charged by http and yoga; they never ' +
        'import them. They keep their buckets on the cache\'s Redis client and plans in db.',
    ),
    layer(
      'warming-through-a-port',
      '^src/warming/',
      [...TOP, 'http', 'yoga', 'schema', 'context', 'services'],
      'The warmer replays requests through a port app.ts hands it: it never imports Yoga.',
    ),
    layer(
      'auth-is-a-leaf',
      '^src/auth/',
      [...TOP, 'http', 'yoga', 'schema', 'context', 'services', 'loaders', 'cache', 'warming'],
      'Authentication knows keys and the viewer; every layer may use it, it uses none.',
    ),
    layer(
      'errors-are-leaves',
      '^src/errors/',
      [
        ...TOP,
        'http',
        'yoga',
        'schema',
        'context',
        'services',
        'loaders',
        'db',
        'cache',
        'warming',
        'auth',
        'ops',
      ],
      'Error codes and factories import nothing of the app (but the limits they name).',
    ),
    layer(
      'live-through-a-port',
      '^src/live/',
      [...TOP, 'http', 'yoga', 'schema', 'context', 'services', 'loaders', 'db', 'ops'],
      'Live queries re-execute through the replay port and the cache: they never import Yoga.',
    ),
    layer(
      'nothing-below-imports-live',
      '^src/(yoga|schema|context|services|loaders|db|cache|warming|auth|errors|ops)(/|\\.ts$)',
      ['live'],
      'Live queries sit between the HTTP front and the cache; only http and app import them.',
    ),
    layer(
      'ops-below-yoga',
      '^src/ops/',
      [...TOP, 'http', 'yoga', 'schema', 'context', 'services', 'warming'],
      'The console and /metrics are served by Yoga and the front; they never import them.',
    ),
    layer(
      'telemetry-is-a-leaf',
      '^src/telemetry/',
      [
        ...TOP,
        'http',
        'yoga',
        'schema',
        'context',
        'services',
        'loaders',
        'db',
        'cache',
        'warming',
        'auth',
        'ops',
        'live',
      ],
      'Tracing (OpenTelemetry) is used by the layers that make spans; it imports none of them.',
    ),
    layer(
      'root-leaves',
      '^src/(limits|params|time|logger|drain|validation|redis-config)\\.ts$',
      [
        ...TOP,
        'http',
        'yoga',
        'schema',
        'context',
        'services',
        'loaders',
        'db',
        'cache',
        'warming',
        'auth',
        'ops',
        'live',
      ],
      'Shared vocabulary at the root of src/ imports nothing above it.',
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a type that drags a heavy file along is what made the cycles.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^src/ops/assets' },
  },
};
