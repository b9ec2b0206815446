import { request as httpRequest } from 'node:http';

export interface RawAnswer {
  status: number;
  headers: Record<string, unknown>;
  /** Names and values as they came, in order. */
  rawHeaders: string[];
  body: Buffer;
}

/** A raw node:http POST: the bytes as they came, no decompression. */
export function rawPost(baseUrl: string, body: string, headers: Record<string, string>) {
  const { port } = new URL(baseUrl);
  return new Promise<RawAnswer>((resolve, reject) => {
    const req = httpRequest(
      {
        port,
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
