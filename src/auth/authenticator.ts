import { hash, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { ApiKey } from '../db/entities/api-key.entity.js';
import { Tenant } from '../db/entities/tenant.entity.js';
import { type Listener, listen } from '../db/listen.js';
import { KEY_REVOCATION_CHANNEL } from './keys.js';
import type { TenantViewer, Viewer } from './viewer.js';

export interface AuthenticatorOptions {
  db: DataSource;
  opsToken: string;
  logger?: Logger;
  /**
   * How long a resolved key is trusted without asking the database again (default 60 s). A
   * backstop only: revocations reach the table through the poll, and expiry is checked on use.
   * What it still covers is a row deleted by hand.
   */
  keyTtlMs?: number;
  /** Keys remembered (default 10,000). */
  maxKeys?: number;
  /** Unknown key hashes remembered, so a flood of one bad key costs one query (default 10,000). */
  maxUnknown?: number;
  /** How long an unknown key hash is refused without asking (default 60 s). */
  unknownTtlMs?: number;
  /** How often the database is asked for keys revoked on any instance (default 250 ms). */
  revocationPollMs?: number;
  /** How often marked uses are written to `last_used_at`, in one UPDATE (default 60 s). */
  lastUsedFlushMs?: number;
  /**
   * PostgreSQL: LISTEN here for revocations (KEY_REVOCATION_CHANNEL), so other instances drop a
   * key at once; the poll stays, for a lost connection or SQLite.
   */
  listenUrl?: string;
  now?: () => number;
}

export type Authenticate = ((
  authorization: string | null | undefined,
) => Promise<Viewer | null>) & {
  /** A tenant key answered before and still valid, without waiting: the hit path's case. */
  known(authorization: string | null | undefined): Viewer | undefined;
  /** A key this instance revoked: refused from now on, before the mutation answers. */
  revoked(keyHash: string): void;
  /** A key this instance created: never refused for having been tried before it existed. */
  created(keyHash: string): void;
  /** Starts the revocation poll and the last-use flush. */
  start(): void;
  /** Stops them, writing the uses still marked. */
  close(): Promise<void>;
  /** Entries held, for the metrics. */
  sizes(): { keys: number; unknown: number };
  /**
   * PostgreSQL: whether revocations from other instances arrive by NOTIFY now (else by the
   * poll); null without a listener (SQLite, or not started).
   */
  listening(): boolean | null;
};

interface KeyEntry {
  viewer: TenantViewer;
  id: string;
  keyHash: string;
  /** Epoch ms; Infinity when the key never expires. */
  expiresAt: number;
  /** When a use of it was last marked for `last_used_at` (epoch ms). */
  usedAt: number;
}

/** Longer keys are authenticated every time: the table stays small whatever is sent. */
const MAX_REMEMBERED_KEY = 256;
/** Revocations are read with this much overlap: the instances' clocks may disagree. */
const CLOCK_SKEW_MS = 10_000;

const OPERATOR: Viewer = Object.freeze({ kind: 'operator' });
const BEARER = /^Bearer\s+(\S+)\s*$/i;

const SPACE = /\s/;

/** The key an `Authorization` header carries, whatever its spelling; null when malformed. */
export function bearerKey(authorization: string | null | undefined): string | null {
  if (!authorization) return null;
  // The usual spelling without a capturing regex.
  if (authorization.startsWith('Bearer ')) {
    const key = authorization.slice(7);
    if (key.length > 0 && !SPACE.test(key)) return key;
  }
  return BEARER.exec(authorization)?.[1] ?? null;
}

/**
 * Resolves `Authorization: Bearer <key>` to a viewer. Known keys are answered from one table
 * keyed by the key itself (every spelling of the header shares its entry), so the hit path
 * costs neither a digest nor a database round trip. Each entry carries its expiry, checked on
 * every use; revocations, from this instance or any other (the database is polled), remove it.
 * Unknown keys are remembered by hash for a while, so a flood of one bad key costs one query.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticate {
  const { db } = options;
  const now = options.now ?? Date.now;
  const keyTtlMs = options.keyTtlMs ?? 60_000;
  const pollMs = options.revocationPollMs ?? 250;
  const flushMs = options.lastUsedFlushMs ?? 60_000;
  const opsHash = hash('sha256', options.opsToken, 'buffer');
  const keyByHash = new Map<string, string>();
  const byKey = new LRUCache<string, KeyEntry>({
    max: options.maxKeys ?? 10_000,
    ttl: keyTtlMs,
    dispose: (entry, key) => {
      if (keyByHash.get(entry.keyHash) === key) keyByHash.delete(entry.keyHash);
    },
  });
  const unknown = new LRUCache<string, true>({
    max: options.maxUnknown ?? 10_000,
    ttl: options.unknownTtlMs ?? 60_000,
  });
  // Key ids used since the last flush: written to last_used_at in the background.
  const used = new Set<string>();

  function live(key: string): KeyEntry | undefined {
    const entry = byKey.get(key);
    if (!entry) return undefined;
    const t = now();
    if (entry.expiresAt <= t) {
      byKey.delete(key);
      return undefined;
    }
    if (t - entry.usedAt >= flushMs) {
      entry.usedAt = t;
      used.add(entry.id);
    }
    return entry;
  }

  function find(keyHash: string, at: number) {
    return (
      db
        .getRepository(ApiKey)
        .createQueryBuilder('k')
        .innerJoin(Tenant, 't', 't.id = k.tenant_id')
        .select([
          'k.id AS "id"',
          'k.expires_at AS "expiresAt"',
          'k.tenant_id AS "tenantId"',
          't.timezone AS "timezone"',
        ])
        .where('k.key_hash = :keyHash', { keyHash })
        // The database is the truth: a restart never brings back a revoked or expired key.
        .andWhere('k.revoked_at IS NULL')
        .andWhere('(k.expires_at IS NULL OR k.expires_at > :at)', { at })
        .getRawOne<{
          id: string;
          expiresAt: string | number | null;
          tenantId: string;
          timezone: string;
        }>()
    );
  }

  const authenticate = async (authorization: string | null | undefined) => {
    const key = bearerKey(authorization);
    if (key === null) return null;
    const entry = live(key);
    if (entry) return entry.viewer;
    // One digest serves both checks: the operator token, then the stored key hashes.
    const digest = hash('sha256', key, 'buffer');
    if (timingSafeEqual(digest, opsHash)) return OPERATOR;
    const keyHash = digest.toString('hex');
    if (unknown.has(keyHash)) return null;
    const at = now();
    const row = await find(keyHash, at);
    // Revoked while the query ran (the revocation marks it unknown): refused all the same.
    if (!row || unknown.has(keyHash)) {
      unknown.set(keyHash, true);
      return null;
    }
    const viewer: TenantViewer = Object.freeze({
      kind: 'tenant',
      tenantId: row.tenantId,
      timezone: row.timezone,
      keyId: row.id,
    });
    const fresh: KeyEntry = {
      viewer,
      id: row.id,
      keyHash,
      expiresAt: row.expiresAt == null ? Number.POSITIVE_INFINITY : Number(row.expiresAt),
      usedAt: at,
    };
    used.add(row.id);
    if (key.length <= MAX_REMEMBERED_KEY) {
      // A key expiring before the trust runs out leaves the table with it.
      const ttl = Math.min(keyTtlMs, fresh.expiresAt - at);
      byKey.set(key, fresh, { ttl: Math.max(1, ttl) });
      keyByHash.set(keyHash, key);
    }
    return viewer;
  };

  function revoked(keyHash: string) {
    unknown.set(keyHash, true);
    const key = keyByHash.get(keyHash);
    if (key !== undefined) byKey.delete(key);
  }

  let since = now() - CLOCK_SKEW_MS;
  let polling: Promise<void> | null = null;
  async function poll() {
    const startedAt = now();
    const rows: { keyHash: string }[] = await db
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .select('k.key_hash', 'keyHash')
      .where('k.revoked_at >= :since', { since })
      .getRawMany();
    for (const row of rows) revoked(row.keyHash);
    since = startedAt - CLOCK_SKEW_MS;
  }

  async function flush() {
    if (used.size === 0) return;
    const all = [...used];
    used.clear();
    // In slices: a statement's parameters are bounded (SQLite, PostgreSQL).
    for (let i = 0; i < all.length; i += 1_000) await write(all.slice(i, i + 1_000));
  }

  async function write(ids: string[]) {
    // One statement, no transaction of its own: on SQLite's single connection a BEGIN would
    // have to wait for the writes' queue, and losing a mark to a rolled-back write is harmless.
    await db
      .createQueryBuilder()
      .update(ApiKey)
      .set({ lastUsedAt: new Date(now()) })
      .where('id IN (:...ids)', { ids })
      .execute();
  }

  const timers: NodeJS.Timeout[] = [];
  const log = options.logger?.child({ component: 'auth' });
  let listener: Listener | null = null;
  return Object.assign(authenticate, {
    known: (authorization: string | null | undefined) => {
      if (!authorization) return undefined;
      // Only well-formed keys are in the table: the usual spelling is looked up as it comes
      // (a malformed one simply isn't found), any other after parsing it.
      if (authorization.startsWith('Bearer ')) {
        const entry = live(authorization.slice(7));
        if (entry) return entry.viewer;
      }
      const key = bearerKey(authorization);
      return key === null ? undefined : live(key)?.viewer;
    },
    revoked,
    created: (keyHash: string) => void unknown.delete(keyHash),
    start() {
      if (timers.length > 0) return;
      since = now() - CLOCK_SKEW_MS;
      const pollTimer = setInterval(() => {
        polling ??= poll()
          .catch((err) => log?.warn({ err }, 'revoked keys poll failed; retrying'))
          .finally(() => {
            polling = null;
          });
      }, pollMs);
      const flushTimer = setInterval(() => {
        flush().catch((err) => log?.warn({ err }, 'writing last use of keys failed'));
      }, flushMs);
      pollTimer.unref();
      flushTimer.unref();
      timers.push(pollTimer, flushTimer);
      if (options.listenUrl) {
        listener = listen({
          url: options.listenUrl,
          channel: KEY_REVOCATION_CHANNEL,
          name: 'revocation listener',
          onNotification: (payload) => {
            if (payload) revoked(payload);
          },
          ...(log ? { log } : {}),
        });
        listener.started.catch((err) =>
          log?.warn({ err }, 'revocation LISTEN failed; polling until it listens'),
        );
      }
    },
    async close() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      await listener?.close();
      listener = null;
      await polling;
      await flush().catch((err) => log?.warn({ err }, 'writing last use of keys failed'));
    },
    sizes: () => ({ keys: byKey.size, unknown: unknown.size }),
    listening: () => listener?.listening() ?? null,
  });
}

/** The two tables' sizes, on the app's registry. */
export function registerAuthMetrics(registry: Registry, authenticate: Authenticate) {
  new Gauge({
    name: 'hotpath_auth_keys',
    help: 'Valid API keys remembered by this instance (AUTH_KEYS_MAX).',
    registers: [registry],
    collect() {
      this.set(authenticate.sizes().keys);
    },
  });
  new Gauge({
    name: 'hotpath_auth_unknown_keys',
    help: 'Unknown or revoked key hashes refused without a query (AUTH_UNKNOWN_KEYS_MAX).',
    registers: [registry],
    collect() {
      this.set(authenticate.sizes().unknown);
    },
  });
}
