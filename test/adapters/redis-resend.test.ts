/**
 * Writes resent by a caller's ioredis client (its defaults: `autoResendUnfulfilledCommands`
 * and the offline queue on) after the connection dropped between Redis running a script and
 * its reply arriving. A TCP proxy in front of a redis-server this file spawns forwards the
 * script, waits for Redis's reply, and closes the client's connection instead of relaying it;
 * ioredis reconnects and sends the script again. The write's token makes the second run a
 * no-op: the version goes up exactly once.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager } from '../../src/index.js';
import { spawnRedis, type SpawnedRedis } from '../helpers/redis-server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const url = inject('redisUrl');

describe.skipIf(!url)('RedisStore writes resent after a dropped reply', () => {
  let redis: SpawnedRedis;
  let proxy: TcpProxy;
  let client: Redis; // the caller's, through the proxy, with ioredis's defaults
  let direct: Redis; // straight to Redis, to check what it holds
  let sessions: SessionManager;

  beforeAll(async () => {
    redis = await spawnRedis();
    proxy = await startTcpProxy({ port: redis.port });
    client = new Redis(proxy.url).on('error', () => {}); // the caller's own error handling
    direct = new Redis(redis.url);
    sessions = new SessionManager({ store: new RedisStore({ client, prefix: 'resend:' }) });
    await sessions.put('warm-up', 0); // loads the scripts, so each write below is one EVALSHA
    await sessions.touch('warm-up');
    await sessions.clear('warm-up');
  });

  afterAll(async () => {
    await sessions?.close();
    client?.disconnect();
    direct?.disconnect();
    await proxy?.close();
    await redis?.dispose();
  });

  /** Runs `write` while the proxy cuts the connection after Redis answered its script. */
  async function withCut<T>(write: () => Promise<T>): Promise<T> {
    const before = proxy.seen('evalsha');
    const cut = proxy.cutAfterReply('evalsha');
    const result = await write();
    await cut;
    expect(proxy.seen('evalsha') - before, 'ioredis sent the script a second time').toBe(2);
    return result;
  }

  it('a put that Redis ran, resent after a reconnect, is applied once', async () => {
    expect((await sessions.put('a', 'one')).version).toBe(1);
    const second = await withCut(() => sessions.put('a', 'two'));
    expect(second).toMatchObject({ data: 'two', version: 2 });
    expect(await sessions.get('a')).toMatchObject({ data: 'two', version: 2 });
    expect((await sessions.put('a', 'three')).version).toBe(3);
  });

  it('a conditional put resent the same way reports its own success, not a conflict', async () => {
    await sessions.put('b', 'one');
    const second = await withCut(() => sessions.put('b', 'two', { ifVersion: 1 }));
    expect(second).toMatchObject({ data: 'two', version: 2 });
    expect(await sessions.get('b')).toMatchObject({ data: 'two', version: 2 });
  });

  it('an update whose write is resent increments its counter once', async () => {
    await sessions.put('c', 0);
    const done = await withCut(() => sessions.update('c', (cur) => Number(cur?.data ?? 0) + 1));
    expect(done).toMatchObject({ data: 1, version: 2 });
    expect(await sessions.get('c')).toMatchObject({ data: 1, version: 2 });
  });

  it('a touch resent the same way keeps data and version, and the new expiry', async () => {
    await sessions.put('d', 'kept');
    const touched = await withCut(() => sessions.touch('d', { ttl: 60_000 }));
    expect(touched).toMatchObject({ data: 'kept', version: 1 });
    const now = await sessions.get('d');
    expect(now).toMatchObject({ data: 'kept', version: 1, expiresAt: touched!.expiresAt });
    expect(await direct.pttl(await findKey('d'))).toBeGreaterThan(50_000);
  });

  it('a clear resent the same way finds nothing the second time: it reports the session as already gone', async () => {
    await sessions.put('e', 'gone');
    const cleared = await withCut(() => sessions.clear('e'));
    expect(cleared).toBeUndefined(); // documented: the first run removed it, the resent one saw nothing
    expect(await sessions.get('e')).toBeUndefined();
  });

  /** The key of session `id` under prefix `resend:`, whichever bucket it is in. */
  async function findKey(id: string): Promise<string> {
    for (let n = 0; n < 16; n++) {
      const key = `resend:{b${n}}:s:${id}`;
      if (await direct.exists(key)) return key;
    }
    throw new Error(`no key for ${id}`);
  }
});
