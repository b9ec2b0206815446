import type { RawParams } from '../params.js';
import { documentHash } from './key.js';

/** How the hit path keys a request's document (DESIGN §1): by its SHA-256, in hex. */
export interface DocumentRef {
  hash: string;
  /** The text, when the client sent it (for the operation's name in stats). */
  query: string | undefined;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** `extensions.persistedQuery.sha256Hash` of Apollo's protocol (version 1), else null. */
export function persistedHashOf(extensions: unknown): string | null {
  const persisted = (extensions as { persistedQuery?: unknown } | null | undefined)?.persistedQuery;
  if (typeof persisted !== 'object' || persisted === null) return null;
  const { version, sha256Hash } = persisted as { version?: unknown; sha256Hash?: unknown };
  return version === 1 && typeof sha256Hash === 'string' ? sha256Hash : null;
}

/**
 * The document a request names, for its cache key: the server's own hash of the text when the
 * text came (a client's hash is never trusted for it), else the client's persisted-query hash.
 * null leaves the request to Yoga: no document, or a text whose hash isn't the one claimed
 * (Yoga's APQ plugin answers PERSISTED_QUERY_MISMATCH).
 */
export function documentOf(params: RawParams): DocumentRef | null {
  const claimed = persistedHashOf(params.extensions);
  if (typeof params.query === 'string') {
    const hash = documentHash(params.query);
    return claimed === null || claimed === hash ? { hash, query: params.query } : null;
  }
  if (params.query != null || claimed === null || !SHA256_HEX.test(claimed)) return null;
  return { hash: claimed, query: undefined };
}
