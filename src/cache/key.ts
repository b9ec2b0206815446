import { createHash, hash } from 'node:crypto';
import { type GraphQLSchema, printSchema } from 'graphql';
import { memoize } from './memo.js';
import { DEFAULT_BOUNDS } from './memory-bounds.js';
import { processBudget } from './stats/bounds.js';

/**
 * The document hash memo's bytes: a quarter of CACHE_KEY_MEMO_BYTES (the cache runtime sets
 * it; one memo per process).
 */
export const documentHashBudget = processBudget('key_memo', DEFAULT_BOUNDS.keyMemoBytes / 4);

// Document texts the hit path saw recently, and their hashes: a repeat costs a Map lookup
// instead of a SHA-256 of the text (about half of the keying cost of a short document).
// Bounded in count and in bytes.
/**
 * The SHA-256 of a document's text, in lowercase hex: what Apollo's persisted-query protocol
 * calls its `sha256Hash`, so a request that sends the text and one that sends only the hash
 * have the same key.
 */
export const documentHash = memoize((query: string) => hash('sha256', query, 'hex'), {
  budget: documentHashBudget,
  sizeOf: () => 80,
});

/** The key of a request: what the raw HTTP request carries, so no parse is needed to find it. */
export function requestKey(
  query: string,
  operationName?: string | null,
  variables?: unknown,
  salt = '',
) {
  return requestKeyOf(documentHash(query), operationName, variables, salt);
}

/**
 * The key of a request by its document's hash (DESIGN §1): the server's own hash of the text
 * when the text came, the client's persisted-query hash when only that came.
 */
export function requestKeyOf(
  documentId: string,
  operationName?: string | null,
  variables?: unknown,
  salt = '',
) {
  // One-shot: no Hash object per request (the hit path computes this for every repeat).
  return hash(
    'sha256',
    `${salt}\0${documentId}\0${operationName ?? ''}\0${JSON.stringify(variables ?? {})}`,
    'base64url',
  );
}

export function schemaHash(schema: GraphQLSchema) {
  return createHash('sha256').update(printSchema(schema)).digest('hex').slice(0, 12);
}

/** For stats: the name of the document's first operation, read without parsing it. */
export function operationNameIn(query: string | undefined): string | null {
  return query
    ? (/^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(query)?.[1] ?? null)
    : null;
}
