import { createHash } from 'node:crypto';

/**
 * How an API key is stored and announced: the pieces the authenticator, the key service and the
 * demo seed share. A leaf, so the seed (db) can hash keys without importing a service.
 */

/** Keys are stored by their SHA-256 in hex, never as they are. */
export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** What `apiKeys` shows of a key: `hp_` and 6 more characters, enough to recognise it. */
export const apiKeyPrefix = (key: string) => key.slice(0, 9);

/** The NOTIFY channel a revocation is announced on (payload: the key's hash). */
export const KEY_REVOCATION_CHANNEL = 'hotpath_key_revoked';
