import { hash } from 'node:crypto';
import { promisify } from 'node:util';
import {
  constants,
  crc32,
  deflateRaw as deflateRawCallback,
  deflateRawSync,
  gunzipSync,
} from 'node:zlib';

/** How a stored body's bytes are encoded (HTTP Content-Encoding). */
export type BodyEncoding = 'identity' | 'gzip';

/**
 * The gzip header a stored body starts with: magic, deflate, no flags, no mtime, no extra
 * flags, OS unknown (RFC 1952 2.3).
 */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);
/** The last byte of every stored JSON body (`{"data":…}`): what a hit's tail replaces. */
const CLOSE = 0x7d;
const CLOSE_TAIL = Buffer.from('}');
/** See StoredBody.extraBytes. */
export const GZIP_EXTRA_BYTES = 192;
/** The largest tail one stored deflate block carries (LEN is 16 bits). */
const MAX_TAIL = 0xffff;

let inflations = 0;
/**
 * How many times this process has inflated a stored body (a gzipped entry asked for as JSON by
 * a client that doesn't take gzip, with no plain copy kept, a stale entry, CACHE_DEBUG).
 */
export const inflationCount = () => inflations;

/**
 * A response body prepared once, when it is saved: its bytes as they are stored (and written
 * by the hit path), their encoding and its ETag. A hit then costs no hashing, no encoding and,
 * for clients that accept the stored encoding, no compression.
 *
 * A gzipped body is stored as an OPEN gzip member (issue 17): the gzip header and the deflate of
 * the JSON without its closing `}`, ended by a sync flush (byte-aligned, no final block), with
 * the CRC-32 and length of those JSON bytes. A hit closes it with `closing(tail)`: one final
 * stored deflate block holding the tail (`}`, or extensions.cost and `}`) and the gzip trailer.
 * The two make one valid single-member gzip stream, so extensions.cost is added without
 * inflating anything.
 */
export class StoredBody {
  /** The JSON kept beside a gzipped body once asked for (see keepPlain). */
  #plain: Buffer | null = null;
  #onPlain: ((plain: Buffer) => boolean) | null = null;
  /** closing('}'), made once. */
  #close: Buffer | null = null;

  constructor(
    /** The JSON, or when `encoding` is 'gzip' the open gzip member (see above). */
    readonly bytes: Buffer,
    readonly encoding: BodyEncoding,
    /** Strong ETag of the JSON (a quoted string); the same JSON gives the same tag everywhere. */
    readonly etag: string,
    /** gzip: the CRC-32 of the JSON without its closing `}` (what `bytes` deflate). */
    readonly crc = 0,
    /** gzip: the length of the JSON without its closing `}`. */
    readonly size = 0,
  ) {}

  /** The JSON text. */
  text(): string {
    return this.identity().toString('utf8');
  }

  /**
   * The JSON bytes. A gzipped body is inflated, and the result kept when the structure that
   * holds this body asked for it (keepPlain) and still accepts its bytes.
   */
  identity(): Buffer {
    if (this.encoding !== 'gzip') return this.bytes;
    if (this.#plain) return this.#plain;
    inflations++;
    const plain = gunzipSync(Buffer.concat([this.bytes, this.closing()]));
    const keep = this.#onPlain;
    if (keep) {
      // Once: the holder accounts for it now (or declines it: it would not fit its bound).
      this.#onPlain = null;
      this.#plain = plain;
      if (!keep(plain)) this.#plain = null;
    }
    return plain;
  }

  /**
   * Lets a bounded structure keep this body's JSON once a client asked for it (a gzipped body
   * only): `account` is called when it is made, with this body already holding it, and returns
   * whether the structure keeps it (false: dropped, inflated again next time).
   */
  keepPlain(account: (plain: Buffer) => boolean): void {
    if (this.encoding === 'gzip' && !this.#plain) this.#onPlain = account;
  }

  /** The kept JSON of a gzipped body, in bytes (0 when none). */
  plainBytes(): number {
    return this.#plain?.length ?? 0;
  }

  /**
   * What a holder's byte bound counts beside `bytes` and the ETag: for a gzipped body its
   * closing (a 14-byte Buffer), the holder's keep callback and the CRC-32 and length
   * (GZIP_EXTRA_BYTES, estimated from V8's object sizes, not measured), and its kept JSON.
   */
  extraBytes(): number {
    return this.encoding === 'gzip' ? GZIP_EXTRA_BYTES + this.plainBytes() : 0;
  }

  /**
   * What follows a gzipped body's bytes to make the complete gzip of its JSON with `tail` in
   * place of the closing `}`: a final stored deflate block (BFINAL 1, BTYPE 00, LEN, NLEN, the
   * tail) and the gzip trailer (CRC-32 and length of all the JSON). Without a tail, the JSON as
   * it was stored.
   */
  closing(tail?: Buffer): Buffer {
    if (tail === undefined) {
      this.#close ??= closingOf(this.crc, this.size, CLOSE_TAIL);
      return this.#close;
    }
    return closingOf(this.crc, this.size, tail);
  }
}

function closingOf(crc: number, size: number, tail: Buffer): Buffer {
  const length = tail.length;
  if (length > MAX_TAIL) throw new RangeError(`A body's tail is at most ${MAX_TAIL} bytes`);
  const out = Buffer.allocUnsafe(5 + length + 8);
  out[0] = 0x01; // BFINAL 1, BTYPE 00 (stored); the rest of the byte is padding
  out.writeUInt16LE(length, 1);
  out.writeUInt16LE(~length & 0xffff, 3);
  tail.copy(out, 5);
  out.writeUInt32LE(crc32(tail, crc), 5 + length);
  out.writeUInt32LE((size + length) >>> 0, 9 + length);
  return out;
}

/**
 * The ETag of a body: the same bytes give the same tag on every instance. One-shot (no Hash
 * object): every miss that is stored computes one.
 */
export function etagOf(json: string | Buffer): string {
  return `"${hash('sha256', json, 'base64url').slice(0, 27)}"`;
}

/** A serialized response as it is (its text, or the UTF-8 bytes of it), with its ETag. */
export function identityBody(json: string | Buffer): StoredBody {
  const bytes = typeof json === 'string' ? Buffer.from(json, 'utf8') : json;
  return new StoredBody(bytes, 'identity', etagOf(bytes));
}

/**
 * Whether prepareBody would try to gzip this body: `compressMinBytes` or more (0: never), and
 * a JSON object (only one can be closed by a tail; every result is one).
 */
export function compresses(identity: StoredBody, compressMinBytes: number): boolean {
  const { bytes } = identity;
  return (
    compressMinBytes > 0 && bytes.length >= compressMinBytes && bytes[bytes.length - 1] === CLOSE
  );
}

const deflateRaw = promisify(deflateRawCallback);

/**
 * Bodies under this many bytes are deflated in the calling turn, larger ones on libuv's thread
 * pool (issue 19). zlib's asynchronous call goes through a Transform stream, its chunks and a
 * hand-over to the pool and back: for a 28 KB agenda that cost 413 to 462 µs of CPU against
 * 267 to 290 µs for the deflate itself (npm run bench:deflate, one core, three runs), so a miss
 * of a mid-sized body paid half as much again for the pool. Under 32 KiB the calling turn is
 * held for about 300 µs at most, a fraction of what the miss that produced the body took on
 * the same thread; above it the pool keeps a large report's milliseconds off the event loop
 * (112 KB: 865 to 1,184 µs inline against 1,074 to 1,274 through the pool, so little is lost).
 */
export const INLINE_DEFLATE_MAX_BYTES = 32 * 1024;

/**
 * Prepares a serialized response for storing. Bodies of `compressMinBytes` or more are stored
 * gzipped (0: never), as an open gzip member (see StoredBody): a large report then takes a
 * fraction of the memory and of the bytes read per hit, and clients that accept gzip get the
 * stored bytes as they are, extensions.cost included. The deflate runs in the calling turn
 * under INLINE_DEFLATE_MAX_BYTES and on libuv's thread pool from there (a 300 KB report takes
 * milliseconds), while the miss that saves it waits for its save anyway. Given the JSON already
 * prepared as it is, its ETag is not computed again.
 */
export async function prepareBody(
  json: string | StoredBody,
  compressMinBytes = 0,
): Promise<StoredBody> {
  const identity = typeof json === 'string' ? identityBody(json) : json;
  if (!compresses(identity, compressMinBytes)) return identity;
  const bytes = identity.bytes;
  const open = bytes.subarray(0, bytes.length - 1);
  const options = { finishFlush: constants.Z_SYNC_FLUSH };
  const deflated =
    open.length < INLINE_DEFLATE_MAX_BYTES
      ? deflateRawSync(open, options)
      : await deflateRaw(open, options);
  const body = new StoredBody(
    Buffer.concat([GZIP_HEADER, deflated]),
    'gzip',
    identity.etag,
    crc32(open),
    open.length,
  );
  // Incompressible bodies (rare for JSON) stay as they are.
  return body.bytes.length + body.closing().length < bytes.length ? body : identity;
}
