import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzipSync, gzip as gzipCallback } from 'node:zlib';

/** How a stored body's bytes are encoded (HTTP Content-Encoding). */
export type BodyEncoding = 'identity' | 'gzip';

/**
 * A response body prepared once, when it is saved: its bytes as they are stored (and written
 * by the hit path), their encoding and its ETag. A hit then costs no hashing, no encoding and,
 * for clients that accept the stored encoding, no compression.
 */
export class StoredBody {
  constructor(
    /** The JSON, or its gzip when `encoding` is 'gzip'. */
    readonly bytes: Buffer,
    readonly encoding: BodyEncoding,
    /** Strong ETag of the JSON (a quoted string); the same JSON gives the same tag everywhere. */
    readonly etag: string,
  ) {}

  /** The JSON text; inflated when stored compressed (not remembered: that would double it). */
  text(): string {
    return this.identity().toString('utf8');
  }

  /** The JSON bytes. */
  identity(): Buffer {
    return this.encoding === 'gzip' ? gunzipSync(this.bytes) : this.bytes;
  }
}

/** The ETag of a body: the same bytes give the same tag on every instance. */
export function etagOf(json: string | Buffer): string {
  return `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;
}

/** A serialized response as it is, with its ETag. */
export function identityBody(json: string): StoredBody {
  const bytes = Buffer.from(json, 'utf8');
  return new StoredBody(bytes, 'identity', etagOf(bytes));
}

const gzip = promisify(gzipCallback);

/**
 * Prepares a serialized response for storing. Bodies of `compressMinBytes` or more are stored
 * gzipped (0: never): a large report then takes a fraction of the memory and of the bytes read
 * per hit, and clients that accept gzip get the stored bytes as they are. The gzip runs on
 * libuv's thread pool (a 300 KB report takes milliseconds), while the miss that saves it waits
 * for its save anyway. Given the JSON already prepared as it is, its ETag is not computed again.
 */
export async function prepareBody(
  json: string | StoredBody,
  compressMinBytes = 0,
): Promise<StoredBody> {
  const identity = typeof json === 'string' ? identityBody(json) : json;
  if (compressMinBytes <= 0 || identity.bytes.length < compressMinBytes) return identity;
  const compressed = await gzip(identity.bytes);
  // Incompressible bodies (rare for JSON) stay as they are.
  return compressed.length < identity.bytes.length
    ? new StoredBody(compressed, 'gzip', identity.etag)
    : identity;
}
