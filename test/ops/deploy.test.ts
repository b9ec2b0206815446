import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  OPS_TOKEN,
  postgresUrl,
  sharedRedisCache,
  type TestApp,
} from '../support/app.js';

// Issue 10: deploy/ holds a Grafana dashboard over /metrics and Prometheus alert rules. The rules
// pass promtool's check and unit tests; every PromQL expression of the dashboard parses; every
// metric either file queries exists in Hotpath's /metrics.

const DASHBOARD = 'deploy/grafana/hotpath-dashboard.json';
const RULES = 'deploy/prometheus/alerts.yml';
const RULE_TESTS = 'deploy/prometheus/alerts.test.yml';
const PROMETHEUS_CONFIG = 'deploy/prometheus/prometheus.yml';

function promtool(...args: string[]) {
  const run = spawnSync('promtool', args, { encoding: 'utf8' });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'promtool is missing: it comes with Debian’s prometheus package. Install it with:\n' +
        '  apt-get update && apt-get install -y prometheus',
    );
  }
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Every PromQL expression of the dashboard (panel targets and template variables). */
function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  const panels = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) =>
    (p.targets ?? []).map((t) => t.expr),
  );
  const variables = dashboard.templating.list
    .filter((v: { type: string }) => v.type === 'query')
    .map((v: { definition: string }) => v.definition);
  return [...panels, ...variables];
}

/** Grafana's variables replaced by what Prometheus would get. */
const asPromQL = (expr: string) =>
  expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__range', '1h')
    .replaceAll('$instance', '.*');

const metricNames = (text: string) => new Set(text.match(/\bhotpath_[a-z0-9_]+/g) ?? []);

describe('deploy/: dashboard and alert rules', () => {
  let app: TestApp;

  beforeAll(async () => {
    // PostgreSQL with its LISTEN connections, as in production: every gauge is there.
    app = await buildTestApp('postgres', {
      cache: sharedRedisCache(),
      databaseUrl: postgresUrl(),
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('promtool accepts the rules, their unit tests pass, and the scrape config is valid', () => {
    const check = promtool('check', 'rules', RULES);
    expect(check.output).toContain('SUCCESS: 6 rules found');
    expect(check.status).toBe(0);
    const tests = promtool('test', 'rules', RULE_TESTS);
    expect(tests.output).toContain('SUCCESS');
    expect(tests.status).toBe(0);
    // The scrape config reads its bearer token from the secret compose mounts; promtool wants
    // that file to exist, so the full check runs on a copy that points at a token file here.
    const syntax = promtool('check', 'config', '--syntax-only', PROMETHEUS_CONFIG);
    expect(syntax.status, syntax.output).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'hotpath-prom-'));
    writeFileSync(join(dir, 'metrics_token'), 'a-token-for-promtool-only');
    const text = readFileSync(PROMETHEUS_CONFIG, 'utf8');
    expect(text).toContain('credentials_file: /run/secrets/metrics_token');
    writeFileSync(
      join(dir, 'prometheus.yml'),
      text
        .replace('/run/secrets/metrics_token', join(dir, 'metrics_token'))
        .replace('- alerts.yml', `- ${resolve(RULES)}`),
    );
    const config = promtool('check', 'config', join(dir, 'prometheus.yml'));
    expect(config.status, config.output).toBe(0);
  });

  it('every expression of the dashboard is valid PromQL', () => {
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThan(10);
    // promtool has no "check expression": each becomes a recording rule of a throwaway file.
    const rules = {
      groups: [
        {
          name: 'dashboard',
          rules: expressions.map((expr, i) => ({
            record: `dashboard:expr_${i}`,
            expr: asPromQL(expr).replace(/^label_values\((\w+), \w+\)$/, '$1'),
          })),
        },
      ],
    };
    const file = join(mkdtempSync(join(tmpdir(), 'hotpath-dash-')), 'dashboard.rules.json');
    // JSON is YAML: promtool reads it as a rule file.
    writeFileSync(file, JSON.stringify(rules));
    const check = promtool('check', 'rules', file);
    expect(check.status, check.output).toBe(0);
    expect(check.output).toContain(`SUCCESS: ${expressions.length} rules found`);
  });

  it('every metric the dashboard and the rules query exists in /metrics', async () => {
    // The outbox listens once the app has started; the key table's LISTEN comes up after.
    await expect.poll(() => app.app.authenticate.listening(), { timeout: 10_000 }).toBe(true);
    const { tenant, key } = await app.createTenant('Metrics');
    const user = await app.createUser(tenant.id, 'Provider');
    const read = () =>
      app.execute('query($u: ID!) { services(userId: $u) { id } }', { u: user.id }, key);
    expect((await read()).headers.get('x-cache')).toBe('MISS');
    expect((await read()).headers.get('x-cache')).toBe('HIT');
    expect(
      (await app.execute('{ cacheStats { hits } }', {}, OPS_TOKEN)).body.errors,
    ).toBeUndefined();

    const response = await app.yoga.fetch('http://hotpath.test/metrics', {
      headers: { authorization: `Bearer ${OPS_TOKEN}` },
    });
    const text = await response.text();
    const exposed = new Set(
      text
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => line.split(/[{ ]/, 1)[0]),
    );
    const queried = new Set([
      ...metricNames(dashboardExpressions().join('\n')),
      ...metricNames(readFileSync(RULES, 'utf8')),
    ]);
    for (const name of [
      'hotpath_cache_requests_total',
      'hotpath_graphql_request_duration_seconds_bucket',
      'hotpath_cache_fallback_active',
      'hotpath_cache_errors_total',
      'hotpath_outbox_pending',
      'hotpath_cache_reasons_total',
      'hotpath_db_listening',
    ]) {
      expect(queried, `the dashboard or the rules should use ${name}`).toContain(name);
    }
    const missing = [...queried].filter((name) => !exposed.has(name));
    expect(missing, `queried but absent from /metrics:\n${text}`).toEqual([]);
    // The outbox gauge is there from the start, 0 until the outbox feeds it.
    expect(text).toMatch(/^hotpath_outbox_pending 0$/m);
    expect(text).toMatch(/^hotpath_cache_fallback_active 0$/m);
    // Both LISTEN connections listen.
    expect(text).toMatch(/^hotpath_db_listening\{listener="outbox"\} 1$/m);
    expect(text).toMatch(/^hotpath_db_listening\{listener="revocations"\} 1$/m);
    // The store gauges are filled by this very scrape, not the one before.
    expect(text).toMatch(/^hotpath_cache_store_up 1$/m);
    expect(text).toMatch(/^hotpath_cache_used_memory_bytes [1-9]\d*$/m);
  });
});
