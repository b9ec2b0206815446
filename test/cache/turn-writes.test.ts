import { setImmediate as turn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisClient, flushWrites } from '../../src/cache/store/redis/client.js';
import { sharedRedisUrl, writeRecorder } from '../support/redis.js';

/**
 * The cache's client sends the commands of one event-loop turn in one write, in the order they
 * were sent (src/cache/store/redis/client.ts, holdTurns), as ioredis's auto-pipelining
 * did, without its Pipeline objects (issue 19: test/api/young-garbage.test.ts).
 */

const clients: ReturnType<typeof createRedisClient>[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

/** A ready client whose socket's writes are recorded: the chunks of each write, as text. */
async function recorded() {
  const client = createRedisClient(sharedRedisUrl(), { timeoutMs: 2_000 });
  clients.push(client);
  await new Promise((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', (error) =>
      reject(new Error(`Redis at ${sharedRedisUrl()} (start it: see the env entry): ${error}`)),
    );
  });
  const { writes } = writeRecorder(client.stream);
  return { client, writes };
}

describe("the cache's Redis client", () => {
  it("writes a turn's commands once, in the order sent, after the turn", async () => {
    const { client, writes } = await recorded();
    const replies = Promise.all([
      client.get('hp-turn-writes:a'),
      client.pttl('hp-turn-writes:b'),
      client.time(),
    ]);
    expect(writes).toEqual([]);
    await replies;
    expect(writes).toHaveLength(1);
    expect(writes[0].map((chunk) => chunk.split('\r\n')[2])).toEqual(['get', 'pttl', 'time']);
  });

  it('writes the commands of two turns in two writes', async () => {
    const { client, writes } = await recorded();
    const first = client.get('hp-turn-writes:a');
    await turn();
    const second = client.get('hp-turn-writes:b');
    await Promise.all([first, second]);
    expect(writes).toHaveLength(2);
  });

  it("writes at once what flushWrites asks for, with the turn's commands before it", async () => {
    const { client, writes } = await recorded();
    const before = client.get('hp-turn-writes:a');
    const now = client.mget('hp-turn-writes:b', 'hp-turn-writes:c');
    flushWrites(client);
    expect(writes).toHaveLength(1);
    expect(writes[0].map((chunk) => chunk.split('\r\n')[2])).toEqual(['get', 'mget']);
    await Promise.all([before, now]);
  });
});
