import { gunzipSync } from 'node:zlib';
import { etagOf, StoredBody } from '../body.js';

const NEWLINE = 0x0a;

/**
 * The payload format's version, part of every entry's key (keys.ts): a process never reads
 * an entry written in another format, in either direction, during a rolling deploy.
 * 2: gzipped bodies are open gzip members with their CRC-32 and length (issue 17).
 * 3: the tags left the payload for a field of their own (keys.ts), read only when needed: at
 * 400 appointments they were 20 KB of the 34 KB every lookup read (issue 19).
 */
export const PAYLOAD_VERSION = '3';

/**
 * `<flag><swrMs>,<graceMs> <encoding> <etag>\n<body bytes>`; flag 'n': saved with ttlMs null;
 * encoding 'i' (identity) or `z<crc>.<size>` (an open gzip member, the CRC-32 and length of the
 * JSON it holds without its closing `}`: see StoredBody). The body's bytes are kept as they came
 * (a slice of the reply, no copy, no decoding). The tags are the entry's `#` field (tagsOf).
 */
export function payloadOf(entry: PayloadEntry): Buffer {
  return Buffer.concat([Buffer.from(headerOf(entry), 'utf8'), entry.body.bytes]);
}

/**
 * The same payload as text, for a body stored as it is (`json` being the text of its bytes):
 * a save command whose arguments are all strings is written as one string, where a Buffer among
 * them makes ioredis copy every argument into a new Buffer (issue 19: a miss's save).
 */
export function payloadText(entry: PayloadEntry, json: string): string {
  return headerOf(entry) + json;
}

interface PayloadEntry {
  neverExpires: boolean;
  swrMs: number;
  graceMs: number;
  body: StoredBody;
}

function headerOf(entry: PayloadEntry): string {
  const { body } = entry;
  const encoding = body.encoding === 'gzip' ? `z${body.crc}.${body.size}` : 'i';
  return (
    `${entry.neverExpires ? 'n' : 'e'}${entry.swrMs},${entry.graceMs} ` +
    `${encoding} ${body.etag}\n`
  );
}

export function parsePayload(payload: Buffer) {
  const newline = payload.indexOf(NEWLINE);
  const header = payload.toString('utf8', 0, newline);
  const comma = header.indexOf(',');
  const space = header.indexOf(' ', comma);
  const encodingAt = space + 1;
  const encodingEnd = header.indexOf(' ', encodingAt);
  // Up to the end (format 3), or to the tags that followed it in the formats before.
  const etagEnd = header.indexOf(' ', encodingEnd + 1);
  const etag = header.slice(encodingEnd + 1, etagEnd < 0 ? undefined : etagEnd);
  const bytes = payload.subarray(newline + 1);
  return {
    neverExpires: header[0] === 'n',
    swrMs: Number(header.slice(1, comma)),
    graceMs: Number(header.slice(comma + 1, space)),
    body: bodyOf(header.slice(encodingAt, encodingEnd), bytes, etag),
  };
}

/** The entry's `#` field: its tags as saved (not expanded), JSON. */
export const tagsField = (tags: string[]) => JSON.stringify(tags);

export function tagsOf(field: Buffer | string): string[] {
  return JSON.parse(field.toString()) as string[];
}

function bodyOf(encoding: string, bytes: Buffer, etag: string): StoredBody {
  if (encoding === 'i') return new StoredBody(bytes, 'identity', etag);
  if (encoding[0] === 'z') {
    const dot = encoding.indexOf('.');
    return new StoredBody(
      bytes,
      'gzip',
      etag,
      Number(encoding.slice(1, dot)),
      Number(encoding.slice(dot + 1)),
    );
  }
  // Format 1's complete gzip ('g'), were one ever read (its key differs): served as JSON.
  const json = encoding === 'g' ? gunzipSync(bytes) : bytes;
  return new StoredBody(json, 'identity', etag || etagOf(json));
}
