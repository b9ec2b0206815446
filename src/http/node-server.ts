import { createServer, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Counter, type Registry } from 'prom-client';

/** node:http's timeouts against slow clients (HTTP_*_MS). */
export interface HttpServerConfig {
  /** A client that has not sent all its headers by then is cut off (408). */
  headersTimeoutMs: number;
  /** The whole request, headers and body, must have arrived by then (408). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /**
   * How often node looks for connections past the two timeouts above (its
   * `connectionsCheckingInterval`, 30 s by default): a timeout is enforced this late at most.
   */
  checkIntervalMs: number;
}

const ANSWERS: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
};

/**
 * A node:http server with the slow-client bounds of HttpServerConfig: headers must be complete
 * within `headersTimeoutMs` and the whole request within `requestTimeoutMs` (else 408 and the
 * connection is closed), idle keep-alive connections close after `keepAliveTimeoutMs`, and node
 * looks for late connections every `checkIntervalMs` (its default, 30 s, would let a client
 * trickling headers keep its socket up to 30 s past the timeout). Connections cut off for a
 * timeout are counted in `hotpath_http_request_timeouts_total`.
 */
export function createBoundedServer(
  listener: RequestListener,
  config: HttpServerConfig,
  registry?: Registry,
): Server {
  const server = createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      connectionsCheckingInterval: config.checkIntervalMs,
    },
    listener,
  );
  const timeouts = new Counter({
    name: 'hotpath_http_request_timeouts_total',
    help: 'Connections closed because their headers or body had not arrived in time (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS)',
    registers: registry ? [registry] : [],
  });
  // What node does without a listener, plus the count.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') timeouts.inc();
    if (error.code !== 'ECONNRESET' && socket.writable && socket.bytesWritten === 0) {
      const status = ANSWERS[error.code ?? ''] ?? '400 Bad Request';
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
    socket.destroy();
  });
  return server;
}
