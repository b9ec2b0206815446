/**
 * How a key's revocation is announced: the key service NOTIFYs, every authenticator LISTENs. A
 * leaf, so services import it without importing the authenticator.
 */

/** The NOTIFY channel a revocation is announced on (payload: the key's hash). */
export const KEY_REVOCATION_CHANNEL = 'hotpath_key_revoked';
