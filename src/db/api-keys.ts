import { createHash } from 'node:crypto';

/**
 * How an API key is stored (the api_keys table), next to its entity: the authenticator, the key
 * service and the seed share it.
 */

/** Keys are stored by their SHA-256 in hex, never as they are. */
export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** What `apiKeys` shows of a key: `hp_` and 6 more characters, enough to recognise it. */
export const apiKeyPrefix = (key: string) => key.slice(0, 9);
