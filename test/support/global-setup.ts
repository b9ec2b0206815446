import { Socket } from 'node:net';

/** The shared services every test run needs, and how to start each one when it is down. */
const services = [
  {
    name: 'Redis',
    url: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    start:
      'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no',
  },
  {
    name: 'PostgreSQL',
    url: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
];

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port), hostname.replace(/^\[|\]$/g, ''), () => done(true));
  });
}

export default async function globalSetup(): Promise<void> {
  const down: string[] = [];
  for (const service of services) {
    if (!(await reachable(service.url))) {
      down.push(
        `${service.name} is not answering at ${service.url}. Start it with:\n  ${service.start}`,
      );
    }
  }
  if (down.length > 0) {
    throw new Error(`The tests run against real services, and some are down:\n${down.join('\n')}`);
  }
}
