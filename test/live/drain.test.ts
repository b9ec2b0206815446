import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startMain } from '../support/process.js';
import { openLive } from './sse.js';

describe('live queries and SIGTERM', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hotpath-live-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends every stream with complete, refuses new ones, then exits 0', async () => {
    const app = startMain({
      SQLITE_PATH: join(dir, 'hotpath.sqlite'),
      PORT: '0',
      SHUTDOWN_DELAY_MS: '600',
      LIVE_HEARTBEAT_MS: '200',
    });
    children.push(app.child);
    const [, url] = await app.printed(/listening on (http:\/\/\S+)\/graphql/);
    const [, , key] = await app.printed(/Demo API key of (.+): (hp_\S+)/);
    const streams = await Promise.all(
      ['query A @live { stores { id } }', 'query B @live { stores { name } }'].map((q) =>
        openLive(url, key, q),
      ),
    );
    await Promise.all(streams.map((s) => s.nexts(1)));

    app.child.kill('SIGTERM');
    // During SHUTDOWN_DELAY_MS the instance still serves, but takes no new live query.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const late = await openLive(url, key, 'query C @live { stores { id } }');
    expect(late.status).toBe(503);
    expect(JSON.parse((await late.ended)[0].data).errors[0].extensions.code).toBe('SHUTTING_DOWN');
    for (const stream of streams) {
      const events = await stream.ended;
      expect(events.at(-1)?.event).toBe('complete');
    }
    expect(await app.exited).toBe(0);
  });
});
