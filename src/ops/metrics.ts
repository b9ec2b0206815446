import { hash, timingSafeEqual } from 'node:crypto';
import type { RequestListener } from 'node:http';
import type { Registry } from 'prom-client';

/** Who may read /metrics, and where. */
export interface MetricsConfig {
  /** A bearer token for Prometheus, accepted besides OPS_TOKEN (METRICS_TOKEN). */
  token?: string;
  /** Serve /metrics on this port only, not on PORT (METRICS_PORT; 0: any free port). */
  port?: number;
}

/**
 * Whether an `Authorization` header carries one of `tokens` as a bearer token (the operator
 * token, METRICS_TOKEN). Digests of equal length are compared in constant time; an empty list
 * lets everyone in (a METRICS_PORT without METRICS_TOKEN, kept on a private network).
 */
export function createMetricsGate(tokens: readonly string[]) {
  const digests = tokens.map((token) => hash('sha256', token, 'buffer'));
  return (authorization: string | null | undefined): boolean => {
    if (digests.length === 0) return true;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return false;
    const digest = hash('sha256', match[1], 'buffer');
    // Every digest is compared, so the time doesn't say which token matched.
    return digests.reduce((found, d) => timingSafeEqual(d, digest) || found, false);
  };
}

export type MetricsGate = ReturnType<typeof createMetricsGate>;

const REFUSAL = JSON.stringify({
  errors: [
    {
      message: 'GET /metrics needs Authorization: Bearer <OPS_TOKEN or METRICS_TOKEN>.',
      extensions: { code: 'UNAUTHENTICATED' },
    },
  ],
});

/** The 401 of /metrics: no cache headers, a challenge Prometheus and curl understand. */
export const metricsRefusal = () =>
  new Response(REFUSAL, {
    status: 401,
    headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer' },
  });

/** GET /metrics for the main port's Yoga plugin: the registry's text, or the 401. */
export async function metricsResponse(request: Request, registry: Registry, gate: MetricsGate) {
  if (!gate(request.headers.get('authorization'))) return metricsRefusal();
  return new Response(await registry.metrics(), {
    headers: { 'content-type': registry.contentType },
  });
}

/**
 * The listener of METRICS_PORT: GET /metrics and nothing else (404), so the port carries no
 * GraphQL, console or health surface.
 */
export function createMetricsListener(registry: Registry, gate: MetricsGate): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    if (!gate(req.headers.authorization)) {
      res
        .writeHead(401, {
          'content-type': 'application/json; charset=utf-8',
          'www-authenticate': 'Bearer',
        })
        .end(REFUSAL);
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics failed\n');
      },
    );
  };
}
