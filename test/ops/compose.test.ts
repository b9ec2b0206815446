import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// Issue 14: docker-compose.yml is safe as shipped. Docker can't run here, so the file's rules
// are checked as data: what each service publishes, where its secrets come from, and what the
// production image and the Prometheus config expect of it.

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  secrets?: string[];
  network_mode?: string;
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  secrets?: Record<string, { environment?: string }>;
};
const services = Object.entries(compose.services);
const isStore = ([, s]: [string, Service]) => /^(redis|postgres):/.test(s.image ?? '');
const isApi = ([, s]: [string, Service]) => s.build !== undefined;
const commandOf = (s: Service) => (Array.isArray(s.command) ? s.command : [s.command ?? '']);
/** `${NAME:?message}`: compose stops with the message when NAME is unset or empty. */
const required = (name: string) => new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`);
const REQUIRED_ANYWHERE = /\$\{([A-Z_]+):\?[^}]+\}/g;

describe('docker-compose.yml', () => {
  it('publishes neither Redis nor PostgreSQL beyond the compose network (or loopback)', () => {
    const stores = services.filter(isStore);
    expect(stores.map(([name]) => name)).toEqual(expect.arrayContaining(['postgres', 'redis']));
    for (const [name, service] of stores) {
      for (const port of service.ports ?? []) {
        expect(port, `${name} publishes ${port}`).toMatch(/^127\.0\.0\.1:/);
      }
      expect(service.network_mode, name).toBeUndefined();
    }
  });

  it('takes every password from .env, and refuses to start without one', () => {
    const postgres = compose.services.postgres;
    expect(postgres.environment?.POSTGRES_PASSWORD).toMatch(required('POSTGRES_PASSWORD'));
    for (const [name, service] of services.filter(isStore)) {
      if (!service.image?.startsWith('redis:')) continue;
      // redis-cli (health checks, the cluster's set-up) reads the password from REDISCLI_AUTH.
      expect(service.environment?.REDISCLI_AUTH, name).toMatch(required('REDIS_PASSWORD'));
      const command = commandOf(service);
      if (command[0] !== 'redis-server') continue;
      // Every Redis, the cluster's nodes included, wants the password.
      const pass = command[command.indexOf('--requirepass') + 1];
      expect(command, name).toContain('--requirepass');
      expect(pass, name).toMatch(required('REDIS_PASSWORD'));
      if (command.includes('--cluster-enabled')) {
        expect(command[command.indexOf('--masterauth') + 1], name).toMatch(
          required('REDIS_PASSWORD'),
        );
      }
    }
    const text = readFileSync('docker-compose.yml', 'utf8');
    expect(text).not.toMatch(/hotpath:hotpath|admin\/admin|POSTGRES_PASSWORD: hotpath/);
  });

  it('gives every instance the Redis password, the operator and metrics tokens from .env', () => {
    const apis = services.filter(isApi);
    expect(apis.length).toBeGreaterThanOrEqual(4);
    for (const [name, service] of apis) {
      const env = service.environment ?? {};
      expect(env.OPS_TOKEN, name).toMatch(required('OPS_TOKEN'));
      expect(env.METRICS_TOKEN, name).toMatch(required('METRICS_TOKEN'));
      expect(env.DATABASE_URL, name).toMatch(
        /^postgres:\/\/hotpath:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/hotpath$/,
      );
      if (env.REDIS_URL !== undefined) {
        expect(env.REDIS_URL, name).toMatch(/^redis:\/\/:\$\{REDIS_PASSWORD:\?[^}]+\}@redis:6379$/);
      } else {
        expect(env.REDIS_CLUSTER_NODES, name).toBeDefined();
        expect(env.REDIS_PASSWORD, name).toMatch(required('REDIS_PASSWORD'));
      }
    }
  });

  it('seeds no demo keys: SEED_DEMO is off in every production service', () => {
    // The image runs NODE_ENV=production (Dockerfile); an instance must never bring the
    // public demo keys with it.
    for (const [name, service] of services.filter(isApi)) {
      expect(service.environment?.SEED_DEMO, name).toBe('false');
      expect(service.environment?.NODE_ENV ?? 'production', name).toBe('production');
    }
    expect(readFileSync('Dockerfile', 'utf8')).toMatch(/^ENV NODE_ENV=production\b/m);
  });

  it('keeps the monitoring profile on loopback, with Grafana’s password from .env', () => {
    const { prometheus, grafana } = compose.services;
    expect(commandOf(prometheus)).toContain('--web.listen-address=127.0.0.1:9090');
    expect(grafana.environment?.GF_SERVER_HTTP_ADDR).toBe('127.0.0.1');
    expect(grafana.environment?.GF_SECURITY_ADMIN_PASSWORD).toMatch(
      required('GRAFANA_ADMIN_PASSWORD'),
    );
  });

  it('hands Prometheus METRICS_TOKEN as the file its scrape config reads', () => {
    expect(compose.secrets?.metrics_token).toEqual({ environment: 'METRICS_TOKEN' });
    expect(compose.services.prometheus.secrets).toEqual(['metrics_token']);
    const config = parse(readFileSync('deploy/prometheus/prometheus.yml', 'utf8'));
    for (const job of config.scrape_configs) {
      expect(job.authorization).toEqual({
        type: 'Bearer',
        credentials_file: '/run/secrets/metrics_token',
      });
    }
  });

  it('.env.example names every variable compose requires; .env stays out of git and images', () => {
    const text = readFileSync('docker-compose.yml', 'utf8');
    const needed = new Set([...text.matchAll(REQUIRED_ANYWHERE)].map((m) => m[1]));
    expect([...needed].sort()).toEqual([
      'GRAFANA_ADMIN_PASSWORD',
      'METRICS_TOKEN',
      'OPS_TOKEN',
      'POSTGRES_PASSWORD',
      'REDIS_PASSWORD',
    ]);
    const example = readFileSync('.env.example', 'utf8');
    const listed = new Map(
      example
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => line.split('=', 2) as [string, string]),
    );
    for (const name of needed) {
      // Empty in the example: copied unfilled, compose still refuses to start.
      expect(listed.get(name as string), name).toBe('');
    }
    expect(readFileSync('.gitignore', 'utf8').split('\n')).toContain('.env');
    expect(readFileSync('.dockerignore', 'utf8').split('\n')).toContain('.env');
  });
});

describe('where the app listens', () => {
  it('npm start binds loopback by default; the image listens on every interface', () => {
    // parseConfig's default is tested in test/config.test.ts; the image overrides it.
    expect(readFileSync('Dockerfile', 'utf8')).toMatch(/^ENV .*\bHOST=0\.0\.0\.0\b/m);
  });
});
