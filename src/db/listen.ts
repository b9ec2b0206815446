import pg from 'pg';
import type { Logger } from 'pino';

export interface ListenOptions {
  /** The PostgreSQL connection string (DATABASE_URL). */
  url: string;
  channel: string;
  /** What the log calls it: "outbox listener", "revocation listener". */
  name: string;
  onNotification: (payload: string | undefined) => void;
  /** Listening again after a loss: a notification sent meanwhile was lost. */
  onBack?: () => void;
  log?: Logger;
  /** Between two attempts (default 1 s). */
  retryMs?: number;
}

export interface Listener {
  /** Resolves once listening; rejects when the first attempt failed (it tries again anyway). */
  started: Promise<void>;
  /** LISTENing now: notifications reach it (between a loss and the next attempt, they don't). */
  listening(): boolean;
  close(): Promise<void>;
}

/**
 * LISTEN on a connection of its own, for as long as it isn't closed: when the connection fails
 * (or can't be made), it tries again every `retryMs` until it listens. Before, the outbox and
 * the authenticator each tried again once, a second after a failure; when the database was
 * still unreachable then, they never listened again (test/cache/outbox.both.test.ts).
 */
export function listen(options: ListenOptions): Listener {
  const retryMs = options.retryMs ?? 1_000;
  let current: pg.Client | null = null;
  let closed = false;
  // The client that LISTENs now, if any.
  let active: pg.Client | null = null;

  async function attempt(again: boolean): Promise<void> {
    if (closed) return;
    const client = new pg.Client({ connectionString: options.url });
    current = client;
    let failed = false;
    const retry = (err: unknown) => {
      if (failed) return;
      failed = true;
      const wasListening = active === client;
      if (current === client) current = null;
      if (wasListening) active = null;
      client.end().catch(() => {});
      if (wasListening)
        options.log?.warn({ err }, `${options.name} lost; polling until it is back`);
      else options.log?.debug({ err }, `${options.name} still down; trying again`);
      if (!closed) setTimeout(() => void attempt(true).catch(() => {}), retryMs).unref();
    };
    client.on('error', retry);
    client.on('notification', (message) => options.onNotification(message.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${options.channel}`);
    } catch (err) {
      retry(err);
      throw err;
    }
    if (failed || closed) return;
    active = client;
    if (again) {
      options.log?.info(`${options.name} back`);
      options.onBack?.();
    }
  }

  return {
    started: attempt(false),
    listening: () => active !== null,
    async close() {
      closed = true;
      active = null;
      const client = current;
      current = null;
      await client?.end().catch(() => {});
    },
  };
}
