import { z } from 'zod';

// The Redis variables of the configuration (src/config.ts): one topology, its credentials and
// TLS, and the rules between them that one field's schema can't see.

const hostPort = z
  .string()
  .trim()
  .regex(/^[^\s:/,]+:\d{1,5}$/, 'each node is host:port')
  .transform((v) => {
    const at = v.lastIndexOf(':');
    return { host: v.slice(0, at), port: Number(v.slice(at + 1)) };
  })
  .refine((n) => n.port > 0 && n.port < 65536, 'port must be 1..65535');
/** `host:port,host:port`. */
const hostPorts = z
  .string()
  .transform((v) => v.split(',').filter((n) => n.trim() !== ''))
  .pipe(z.array(hostPort).min(1, 'list at least one host:port'));

/** The Redis variables' schemas, spread into the configuration's. */
export const redisEnv = {
  REDIS_URL: z
    .string()
    .refine((v) => !v.includes(','), {
      message:
        'one URL only; for Redis Cluster list the seed nodes in REDIS_CLUSTER_NODES=host:port,host:port',
    })
    .pipe(
      z
        .string()
        .url()
        .refine((v) => /^rediss?:\/\//.test(v), 'must start with redis:// or rediss://'),
    )
    .optional(),
  REDIS_CLUSTER_NODES: hostPorts.optional(),
  REDIS_SENTINELS: hostPorts.optional(),
  REDIS_SENTINEL_NAME: z.string().optional(),
  REDIS_TLS_CA: z.string().optional(),
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
};

type RedisEnv = z.infer<z.ZodObject<typeof redisEnv>>;

export interface RedisNode {
  host: string;
  port: number;
}

/** Where Redis is: exactly one topology. */
export type RedisTopology =
  /** One server (redis:// or rediss://). */
  | { kind: 'standalone'; url: string }
  /** Redis Cluster: the seed nodes; ioredis discovers the rest. */
  | { kind: 'cluster'; nodes: RedisNode[] }
  /** Sentinel: the sentinels and the name of the master set they watch. */
  | { kind: 'sentinel'; sentinels: RedisNode[]; name: string };

export interface RedisConfig {
  topology: RedisTopology;
  /** ACL user and password (REDIS_USERNAME / REDIS_PASSWORD); override the URL's. */
  username?: string;
  password?: string;
  /** Path of a PEM CA file that signed the server certificates (REDIS_TLS_CA). */
  tlsCaPath?: string;
}

const TOPOLOGY_VARS = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const;

/** The rules between the Redis variables, which one field's schema can't see. */
export function redisProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const set = TOPOLOGY_VARS.filter((name) => env[name] !== undefined);
  if (set.length > 1) {
    problems.push(
      `Redis: set exactly one of ${TOPOLOGY_VARS.join(', ')} (found ${set.join(' and ')})`,
    );
  }
  if (env.REDIS_SENTINELS !== undefined && env.REDIS_SENTINEL_NAME === undefined) {
    problems.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the master set name)');
  }
  if (env.REDIS_SENTINEL_NAME !== undefined && env.REDIS_SENTINELS === undefined) {
    problems.push('REDIS_SENTINEL_NAME: only means something with REDIS_SENTINELS');
  }
  if (set.length === 0) {
    for (const name of ['REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_TLS_CA'] as const) {
      if (env[name] !== undefined) {
        problems.push(`${name}: needs a Redis (${TOPOLOGY_VARS.join(', ')})`);
      }
    }
  }
  const url = env.REDIS_URL;
  if (url !== undefined && env.REDIS_TLS_CA !== undefined && !url.startsWith('rediss://')) {
    problems.push('REDIS_TLS_CA: needs a rediss:// REDIS_URL (TLS)');
  }
  if (url !== undefined && URL.canParse(url)) {
    const parsed = new URL(url);
    if (parsed.username && env.REDIS_USERNAME !== undefined) {
      problems.push('REDIS_USERNAME: REDIS_URL carries a user already; set it in one place');
    }
    if (parsed.password && env.REDIS_PASSWORD !== undefined) {
      problems.push('REDIS_PASSWORD: REDIS_URL carries a password already; set it in one place');
    }
  }
  return problems;
}

export function redisConfig(e: RedisEnv): RedisConfig | undefined {
  let topology: RedisTopology;
  if (e.REDIS_URL) topology = { kind: 'standalone', url: e.REDIS_URL };
  else if (e.REDIS_CLUSTER_NODES) topology = { kind: 'cluster', nodes: e.REDIS_CLUSTER_NODES };
  else if (e.REDIS_SENTINELS && e.REDIS_SENTINEL_NAME) {
    topology = { kind: 'sentinel', sentinels: e.REDIS_SENTINELS, name: e.REDIS_SENTINEL_NAME };
  } else return undefined;
  return {
    topology,
    username: e.REDIS_USERNAME,
    password: e.REDIS_PASSWORD,
    tlsCaPath: e.REDIS_TLS_CA,
  };
}
