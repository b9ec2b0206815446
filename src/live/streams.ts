import type { Logger } from 'pino';
import type { Authenticate } from '../auth/authenticator.js';
import type { Group, Stream } from './group.js';
import type { LiveConfig } from './live-config.js';
import { SSE_HEARTBEAT } from './sse.js';

/** A client this far behind in reading its stream (bytes buffered) is cut off. */
const SLOW_CLIENT_BYTES = 1_048_576;

/**
 * The open streams' bookkeeping: counts per tenant (the caps), streams by the Authorization
 * they were opened with (the revocation check), heartbeats, and the bounded write.
 */
export function createStreamBook(deps: {
  config: LiveConfig;
  authenticate: Authenticate;
  logger: Logger;
  groups: () => Iterable<Group>;
  /** The key these streams were opened with was revoked or expired. */
  onRevoked: (streams: Stream[]) => void;
}) {
  const { config, logger: log } = deps;
  const perTenant = new Map<string, number>();
  const byAuthorization = new Map<string, Set<Stream>>();
  const checking = new Set<string>();
  let count = 0;

  function write(stream: Stream, text: string) {
    const { res } = stream;
    if (res.destroyed) return;
    if (res.writableLength > SLOW_CLIENT_BYTES) {
      log.info({ buffered: res.writableLength }, 'live client too slow: cut off');
      res.destroy();
      return;
    }
    res.write(text);
  }

  const heartbeat = setInterval(() => {
    for (const group of deps.groups()) {
      for (const stream of group.streams) if (stream.opened) write(stream, SSE_HEARTBEAT);
    }
  }, config.heartbeatMs);
  heartbeat.unref();

  // A revoked or expired key ends its streams within KEY_REVOCATION_POLL_MS + this interval.
  const keyCheck = setInterval(() => {
    for (const [authorization, same] of byAuthorization) {
      if (deps.authenticate.known(authorization) || checking.has(authorization)) continue;
      checking.add(authorization);
      deps
        .authenticate(authorization)
        .then(
          (viewer) => {
            if (!viewer) deps.onRevoked([...same]);
          },
          (err) => log.warn({ err }, 'live key check failed; kept until the next one'),
        )
        .finally(() => checking.delete(authorization));
    }
  }, config.authCheckMs);
  keyCheck.unref();

  return {
    write,
    get count() {
      return count;
    },
    /** The cap a new stream of `tenantId` (null: an operator) would pass; null: room for it. */
    capReached(tenantId: string | null): 'streams' | 'streamsPerTenant' | null {
      if (count >= config.maxStreams) return 'streams';
      if (tenantId && (perTenant.get(tenantId) ?? 0) >= config.maxStreamsPerTenant) {
        return 'streamsPerTenant';
      }
      return null;
    },
    add(stream: Stream) {
      count++;
      if (stream.tenantId)
        perTenant.set(stream.tenantId, (perTenant.get(stream.tenantId) ?? 0) + 1);
      const same = byAuthorization.get(stream.authorization);
      if (same) same.add(stream);
      else byAuthorization.set(stream.authorization, new Set([stream]));
    },
    remove(stream: Stream) {
      count--;
      if (stream.tenantId) {
        const left = (perTenant.get(stream.tenantId) ?? 1) - 1;
        if (left > 0) perTenant.set(stream.tenantId, left);
        else perTenant.delete(stream.tenantId);
      }
      const same = byAuthorization.get(stream.authorization);
      same?.delete(stream);
      if (same?.size === 0) byAuthorization.delete(stream.authorization);
    },
    close() {
      clearInterval(heartbeat);
      clearInterval(keyCheck);
    },
  };
}
