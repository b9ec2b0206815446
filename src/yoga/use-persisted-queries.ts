import { useAPQ } from '@graphql-yoga/plugin-apq';
import { parse } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { unauthenticatedMessage } from '../auth/auth-first.js';
import type { RequestAuth } from '../auth/request-auth.js';
import { documentHash } from '../cache/key.js';
import { persistedHashOf } from '../cache/persisted.js';
import type { ApqStore } from '../cache/store/apq-store.js';
import { unauthenticated } from '../errors/errors.js';
import type { Limits } from '../limits.js';

export interface PersistedQueriesOptions {
  store: ApqStore;
  auth: RequestAuth;
  limits: Pick<Limits, 'tokens'>;
}

/**
 * Automatic persisted queries, Apollo's protocol, through @graphql-yoga/plugin-apq:
 * - `extensions.persistedQuery: { version: 1, sha256Hash }` alone: the text registered under
 *   the hash runs; an unknown hash answers 404 PERSISTED_QUERY_NOT_FOUND (message
 *   `PersistedQueryNotFound`, which Apollo Client and urql both look for), and the client sends
 *   the text with its hash;
 * - text and hash: the hash must be the text's SHA-256 (400 PERSISTED_QUERY_MISMATCH
 *   otherwise); the text is registered, then runs.
 *
 * It runs after the request limits' parameter checks and before the cache's lookup, which keys
 * the resolved text by its hash (the same key the hit path computes from the hash alone).
 * Only authenticated requests use the store: a request without a valid key gets its 401
 * before any lookup and never registers anything. A text is registered only if it parses
 * within LIMIT_TOKENS (its size is already bounded by LIMIT_BODY_BYTES); one that doesn't
 * gets the limit's error as any request would.
 */
export function usePersistedQueries(options: PersistedQueriesOptions): Plugin {
  const { store, auth } = options;
  const apq = useAPQ({
    // Registration is below, once the text is known to parse within the limits.
    store: { get: (hash) => store.get(hash), set: () => {} },
    hash: (query) => documentHash(query),
  });
  const onParams = apq.onParams as NonNullable<Plugin['onParams']>;
  const parsesWithinLimits = (query: string) => {
    try {
      parse(query, { noLocation: true, maxTokens: options.limits.tokens });
      return true;
    } catch {
      return false;
    }
  };
  return {
    async onParams(payload) {
      const hash = persistedHashOf(payload.params.extensions);
      if (hash === null) return;
      const { request } = payload;
      const viewer = await auth.viewerOf(request);
      if (!viewer) {
        // A backstop: use-auth-first refuses strangers before this runs.
        throw unauthenticated(unauthenticatedMessage(request.headers.get('authorization')));
      }
      // Throws NOT_FOUND or MISMATCH; resolves a hash alone into its text.
      await onParams(payload);
      const query = payload.params.query;
      if (typeof query === 'string' && parsesWithinLimits(query)) {
        // Counted against the tenant's quota (operators: their own).
        await store.set(hash, query, viewer.kind === 'tenant' ? viewer.tenantId : 'ops');
      }
    },
  };
}
