import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RedisServer {
  url: string;
  port: number;
  /** Kills the server and waits until it has exited. */
  stop(): Promise<void>;
  /** SIGKILL, without waiting: a crash, for fault-injection tests. */
  kill(): void;
  /** Starts it again on the same port (empty: it never persists) and waits until it answers. */
  restart(): Promise<void>;
}

/** The Redis every test run shares. Never stop or flush it: use your own key prefix. */
export function sharedRedisUrl(): string {
  return process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A TCP port nothing listens on at the time of the call. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

/**
 * Spawns a private, non-persistent redis-server on a free port, for tests that may kill it.
 * `extraArgs` go on its command line (e.g. `['--maxmemory', '2mb']`).
 */
export async function startRedisServer(extraArgs: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const killOnExit = () => child?.kill('SIGKILL');

  async function start(): Promise<void> {
    const spawned = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--bind',
        '127.0.0.1',
        ...extraArgs,
      ],
      { stdio: 'ignore' },
    );
    child = spawned;
    let exited = false;
    spawned.once('exit', () => {
      exited = true;
    });
    spawned.once('error', () => {
      exited = true;
    });
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(port))) {
      if (exited) throw new Error(`redis-server exited before answering on port ${port}`);
      if (Date.now() > deadline) {
        spawned.kill('SIGKILL');
        throw new Error(`redis-server did not answer PING on port ${port} within 10 s`);
      }
      await sleep(20);
    }
  }

  function kill(): void {
    child?.kill('SIGKILL');
  }

  async function stop(): Promise<void> {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGKILL');
    await exited;
  }

  process.once('exit', killOnExit);
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    async stop() {
      process.off('exit', killOnExit);
      await stop();
    },
    async restart() {
      await stop();
      await start();
    },
  };
}

export interface TcpProxy {
  url: string;
  port: number;
  /** A partition: drops every connection and refuses new ones until heal(). */
  cut(): void;
  heal(): void;
  /**
   * A slow server for new connections only: they are accepted, and reach the server (so get
   * their replies) only at release(). Connections made before go on as they were.
   */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

/** A TCP proxy in front of a Redis, to cut one client off while others keep it. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let cut = false;
  let held: (() => void)[] | null = null;
  const server: Server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    const connect = () =>
      upstream.connect(targetPort, '127.0.0.1', () => {
        client.pipe(upstream);
        upstream.pipe(client);
      });
    if (held) held.push(connect);
    else connect();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    hold() {
      held ??= [];
    },
    release() {
      const waiting = held ?? [];
      held = null;
      for (const connect of waiting) connect();
    },
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    heal() {
      cut = false;
    },
    async close() {
      cut = true;
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The socket methods writeRecorder wraps (Node's net.Socket, reached past its types). */
interface WritableInternals {
  _write: (chunk: unknown, encoding: string, callback: () => void) => void;
  _writev: (chunks: { chunk: unknown }[], callback: () => void) => void;
}

/**
 * Records what a socket writes: the chunks of each write (one for `_write`, several for a
 * corked `_writev`), as text. `restore()` puts the socket's own methods back.
 */
export function writeRecorder(stream: unknown) {
  const socket = stream as WritableInternals;
  const writes: string[][] = [];
  const write = socket._write;
  const writev = socket._writev;
  socket._write = (chunk, encoding, callback) => {
    writes.push([String(chunk)]);
    write.call(socket, chunk, encoding, callback);
  };
  socket._writev = (chunks, callback) => {
    writes.push(chunks.map(({ chunk }) => String(chunk)));
    writev.call(socket, chunks, callback);
  };
  return {
    writes,
    restore() {
      socket._write = write;
      socket._writev = writev;
    },
  };
}
