import { type BodyEncoding, StoredBody } from '../body.js';

const NEWLINE = 0x0a;

/**
 * `<flag><swrMs>,<graceMs> <encoding> <etag> <tags JSON>\n<body bytes>`; flag 'n': saved with
 * ttlMs null; encoding 'i' (identity) or 'g' (gzip). The body's bytes are kept as they came
 * (a slice of the reply, no copy, no decoding).
 */
export function payloadOf(entry: {
  neverExpires: boolean;
  swrMs: number;
  graceMs: number;
  tags: string[];
  body: StoredBody;
}): Buffer {
  const { body } = entry;
  const header =
    `${entry.neverExpires ? 'n' : 'e'}${entry.swrMs},${entry.graceMs} ` +
    `${body.encoding === 'gzip' ? 'g' : 'i'} ${body.etag} ${JSON.stringify(entry.tags)}\n`;
  return Buffer.concat([Buffer.from(header, 'utf8'), body.bytes]);
}

export function parsePayload(payload: Buffer) {
  const newline = payload.indexOf(NEWLINE);
  const header = payload.toString('utf8', 0, newline);
  const comma = header.indexOf(',');
  const space = header.indexOf(' ', comma);
  const encodingAt = space + 1;
  const etagEnd = header.indexOf(' ', encodingAt + 2);
  const encoding: BodyEncoding = header[encodingAt] === 'g' ? 'gzip' : 'identity';
  return {
    neverExpires: header[0] === 'n',
    swrMs: Number(header.slice(1, comma)),
    graceMs: Number(header.slice(comma + 1, space)),
    tags: JSON.parse(header.slice(etagEnd + 1)) as string[],
    body: new StoredBody(
      payload.subarray(newline + 1),
      encoding,
      header.slice(encodingAt + 2, etagEnd),
    ),
  };
}
