/**
 * Load with autocannon, one way for every bench: CONNECTIONS connections, every response
 * counted, latencies kept at full resolution (autocannon's histogram rounds to whole ms), and
 * any non-2xx, error, timeout or missing response turned into a failure rather than a figure.
 * Benches run a warm-up and then the measured load, and interleave their cases over rounds.
 */
import autocannon from 'autocannon';
import { percentile } from './report.js';

/** What the benches load with: 50 connections (bench:scale splits its own 48). */
export const CONNECTIONS = 50;

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Seconds of load. */
  duration: number;
  connections?: number;
  /** autocannon compares every body with it (its `mismatches`). */
  expectBody?: string;
  setupClient?: autocannon.Options['setupClient'];
  /** Further problems once the load is over (falsy entries are none), after errors. */
  problems?: (result: autocannon.Result) => (string | false | 0 | null | undefined)[];
  /** Put before the problems in the error's message. */
  errorPrefix?: string;
}

export interface LoadResult {
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  /** Bytes read per response, headers and body, as autocannon counts them. */
  wireBytes: number;
}

/** One autocannon run of POSTs; rejects when any response was not as it should be. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let wire = 0;
    const instance = autocannon(
      {
        url: options.url,
        method: 'POST',
        headers: options.headers,
        body: options.body,
        connections: options.connections ?? CONNECTIONS,
        duration: options.duration,
        ...(options.expectBody === undefined ? {} : { expectBody: options.expectBody }),
        ...(options.setupClient ? { setupClient: options.setupClient } : {}),
      },
      (error, result) => {
        if (error) return reject(error);
        const problems = [
          result.non2xx && `${result.non2xx} non-2xx responses`,
          result.errors && `${result.errors} errors (${result.timeouts} timeouts)`,
          ...(options.problems?.(result) ?? []),
          latencies.length === 0 && 'no responses',
        ].filter(Boolean);
        if (problems.length > 0)
          return reject(new Error(`${options.errorPrefix ?? ''}${problems.join(', ')}`));
        const sorted = Float64Array.from(latencies).sort();
        resolve({
          requests: latencies.length,
          reqPerSec: latencies.length / result.duration,
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
          wireBytes: wire / latencies.length,
        });
      },
    );
    instance.on('response', (_client, _status, bytes, responseTime) => {
      latencies.push(responseTime);
      wire += bytes;
    });
  });
}

/**
 * `rounds` rounds, each running every case once in the same order (a, b, c, a, b, c, …), so
 * that a drift of the machine over time touches every case alike; with `alternate`, every
 * other round runs them the other way (a, b, c, c, b, a, …), so that a drift within a round
 * touches two cases compared in it alike, whichever comes first.
 */
export async function interleaved<T>(
  rounds: number,
  cases: readonly T[],
  run: (item: T, round: number) => Promise<void>,
  { alternate = false } = {},
): Promise<void> {
  for (let round = 1; round <= rounds; round++) {
    const order = alternate && round % 2 === 0 ? [...cases].reverse() : cases;
    for (const item of order) await run(item, round);
  }
}
