/**
 * What bench:compression checks in every response of its load, as autocannon parses it: a 200,
 * `X-Cache: HIT`, Content-Encoding gzip for (b) only, and exactly the expected bytes.
 */
import { fail } from './compression-report.js';

export interface Server {
  label: string;
  prefix: string;
  url: string;
  pid: number;
  stop: () => Promise<void>;
}

export interface Case {
  id: 'a' | 'b' | 'c';
  label: string;
  server: Server;
  headers: Record<string, string>;
  /** The request's JSON body. */
  body: string;
  /** The exact body every response must carry. */
  expected: Buffer;
  gzip: boolean;
}

/** What a response is checked against (bench:curves checks its hits the same way). */
export type Checked = Pick<Case, 'expected' | 'gzip'>;

/** What is wrong with one response's head; null when it is what the case expects. */
function headProblem(info: { statusCode?: number; headers?: string[] }, c: Checked): string | null {
  if (info.statusCode !== 200) return `status ${info.statusCode}`;
  const flat = info.headers ?? [];
  const header = (name: string) => {
    for (let i = 0; i < flat.length; i += 2) if (flat[i].toLowerCase() === name) return flat[i + 1];
    return undefined;
  };
  const xCache = header('x-cache');
  if (xCache !== 'HIT') return `X-Cache ${xCache}`;
  const encoding = header('content-encoding');
  if (c.gzip ? encoding !== 'gzip' : encoding !== undefined)
    return `Content-Encoding ${encoding ?? '(none)'}`;
  return null;
}

/**
 * Checks each response of one autocannon client as it is parsed: its head when the headers
 * are complete, its body chunk by chunk against the expected bytes (no copy). This replaces
 * autocannon's own body handling (a string built per response, which would mangle gzip), so it
 * reaches into its PipelinedRequestsQueue; it fails loudly if that changes.
 */
export function checkResponses(
  client: unknown,
  c: Checked,
  tally: { bad: number; first: string | null },
) {
  const queue = (client as { pipelinedRequests?: Record<string, unknown> }).pipelinedRequests;
  const setHeaders = queue?.setHeaders;
  const terminateRequest = queue?.terminateRequest;
  if (
    !queue ||
    typeof setHeaders !== 'function' ||
    typeof terminateRequest !== 'function' ||
    typeof queue.addBody !== 'function'
  )
    fail("autocannon's client has no pipelinedRequests queue to check responses with");
  let problem: string | null = null;
  let offset = 0;
  queue.setHeaders = function (this: unknown, info: { statusCode?: number; headers?: string[] }) {
    setHeaders.call(this, info);
    problem = headProblem(info, c);
    offset = 0;
  };
  queue.addBody = (chunk: Buffer) => {
    const end = offset + chunk.length;
    if (!problem && (end > c.expected.length || chunk.compare(c.expected, offset, end) !== 0))
      problem = `body differs from the expected ${c.expected.length} bytes from byte ${offset}`;
    offset = end;
  };
  queue.terminateRequest = function (this: unknown) {
    if (!problem && offset !== c.expected.length)
      problem = `body of ${offset} bytes, expected ${c.expected.length}`;
    if (problem) {
      tally.bad++;
      tally.first ??= problem;
    }
    problem = null;
    offset = 0;
    return terminateRequest.call(this);
  };
}
