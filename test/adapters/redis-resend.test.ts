/**
 * Writes resent by a caller's ioredis client (its defaults: `autoResendUnfulfilledCommands`
 * and the offline queue on) after the connection dropped between Redis running a script and
 * its reply arriving. A TCP proxy in front of a redis-server this file spawns forwards the
 * script, waits for Redis's reply, and closes the client's connection instead of relaying it;
 * ioredis reconnects and sends the script again. The write's token makes the second run a
 * no-op: the version goes up exactly once. Item writes (append, pop, truncate) likewise; and a
 * keyed append whose reply is lost to a client that does not resend is resent by the caller
 * with the same key and answers `replayed: true`.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager, StoreUnavailableError, type StoreAppendInput } from '../../src/index.js';
import { spawnRedis, type SpawnedRedis } from '../helpers/redis-server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const url = inject('redisUrl');

describe.skipIf(!url)('RedisStore writes resent after a dropped reply', () => {
  let redis: SpawnedRedis;
  let proxy: TcpProxy;
  let client: Redis; // the caller's, through the proxy, with ioredis's defaults
  let direct: Redis; // straight to Redis, to check what it holds
  let sessions: SessionManager;
  let store: RedisStore; // the same client, for the item methods

  /** An append of `items` to `id` now, without limits or expiry. */
  const batch = (id: string, items: unknown[], more: Partial<StoreAppendInput> = {}): StoreAppendInput => ({
    ...{ id, now: Date.now(), idleExpiresAt: null, maxLifetime: null, maxItems: null, maxLogBytes: null, dropOldest: false },
    items: items.map((i) => JSON.stringify(i)),
    ...more,
  });

  beforeAll(async () => {
    redis = await spawnRedis();
    proxy = await startTcpProxy({ port: redis.port });
    client = new Redis(proxy.url).on('error', () => {}); // the caller's own error handling
    direct = new Redis(redis.url);
    sessions = new SessionManager({ store: new RedisStore({ client, prefix: 'resend:' }) });
    await sessions.put('warm-up', 0); // loads the scripts, so each write below is one EVALSHA
    await sessions.touch('warm-up');
    await sessions.clear('warm-up');
    store = new RedisStore({ client, prefix: 'resend:' });
    await store.append(batch('warm-up', [1])); // and the item scripts
    await store.items({ id: 'warm-up', now: Date.now(), limit: 1, order: 'asc' });
    await store.pop({ id: 'warm-up', now: Date.now() });
    await store.truncate({ id: 'warm-up', now: Date.now(), after: 0 });
    await store.delete({ id: 'warm-up', now: Date.now() });
    const lease = await store.acquire({ id: 'warm-up', now: Date.now(), ttl: 60_000 }); // and the lease scripts
    await store.renew({ id: 'warm-up', now: Date.now(), fence: lease.ok ? lease.fence : 0, ttl: 60_000 });
    await store.release({ id: 'warm-up', now: Date.now(), fence: lease.ok ? lease.fence : 0 });
  });

  afterAll(async () => {
    await store?.close();
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

  it('an append resent the same way adds its items once and answers their seqs', async () => {
    await store.append(batch('f', ['a', 'b']));
    const done = await withCut(() => store.append(batch('f', ['c', 'd', 'e'])));
    expect(done).toEqual({ ok: true, version: 2, firstSeq: 3, lastSeq: 5, replayed: false });
    const page = await store.items({ id: 'f', now: Date.now(), limit: 10, order: 'asc' });
    expect(page!.items.map((i) => [i.seq, i.data])).toEqual([[1, '"a"'], [2, '"b"'], [3, '"c"'], [4, '"d"'], [5, '"e"']]);
  });

  it('a pop resent the same way removes one item and answers it', async () => {
    await store.append(batch('g', [1, 2, 3]));
    const popped = await withCut(() => store.pop({ id: 'g', now: Date.now(), ifVersion: 1 }));
    expect(popped).toMatchObject({ ok: true, version: 2, item: { seq: 3, data: '3' } });
    expect(await store.get('g', Date.now())).toMatchObject({ version: 2, itemCount: 2, lastSeq: 2 });
  });

  it('a truncate resent the same way removes once and answers how many it removed', async () => {
    await store.append(batch('h', [1, 2, 3, 4]));
    const cut = await withCut(() => store.truncate({ id: 'h', now: Date.now(), before: 3, ifVersion: 1 }));
    expect(cut).toEqual({ ok: true, removed: 2, version: 2 });
    expect(await store.get('h', Date.now())).toMatchObject({ version: 2, itemCount: 2, lastSeq: 4 });
  });

  it('a keyed append whose reply is lost, resent by the caller with its key, answers replayed and adds nothing', async () => {
    // The store's own client never resends: the call fails as indeterminate, the caller retries.
    const own = new RedisStore({ url: proxy.url, prefix: 'resend:' });
    try {
      await own.append(batch('k', ['first']));
      const cut = proxy.cutAfterReply('evalsha');
      const lost = await own.append(batch('k', ['x', 'y'], { idempotencyKey: 'turn-7' })).catch((e: unknown) => e);
      await cut;
      expect(lost).toBeInstanceOf(StoreUnavailableError);
      expect((lost as StoreUnavailableError).indeterminate).toBe(true);
      const again = await own.append(batch('k', ['x', 'y'], { idempotencyKey: 'turn-7' }));
      expect(again).toEqual({ ok: true, version: 2, firstSeq: 2, lastSeq: 3, replayed: true });
      expect(await own.get('k', Date.now())).toMatchObject({ version: 2, itemCount: 3, lastSeq: 3 });
    } finally {
      await own.close();
    }
  });

  it('an acquire resent the same way is answered with the lease it took: one fence issued, the lease not refused to itself', async () => {
    const counters = async () => {
      let sum = 0;
      for (let n = 0; n < 16; n++) sum += Number((await direct.get(`resend:{b${n}}:fence`)) ?? 0);
      return sum;
    };
    const before = await counters();
    const now = Date.now();
    const taken = await withCut(() => store.acquire({ id: 'l1', now, ttl: 60_000 }));
    expect(taken).toMatchObject({ ok: true, expiresAt: now + 60_000 });
    expect((await counters()) - before).toBe(1); // the resend took no second fence…
    if (!taken.ok) throw new Error('not taken');
    const written = await store.put({ id: 'l1', now, data: '1', idleExpiresAt: null, maxLifetime: null, fence: taken.fence });
    expect(written).toMatchObject({ ok: true }); // …and the fence answered is the live one
  });

  it('a renew resent the same way answers its new expiry; a release resent answers true, not "lost"', async () => {
    const now = Date.now();
    const taken = await store.acquire({ id: 'l2', now, ttl: 60_000 });
    if (!taken.ok) throw new Error('not taken');
    expect(await withCut(() => store.renew({ id: 'l2', now: now + 1, fence: taken.fence, ttl: 90_000 }))).toBe(now + 90_001);
    expect(await withCut(() => store.release({ id: 'l2', now: now + 2, fence: taken.fence }))).toBe(true);
    expect(await store.release({ id: 'l2', now: now + 3, fence: taken.fence })).toBe(false); // a second release is not a resend
    expect(await store.acquire({ id: 'l2', now: now + 4, ttl: 1000 })).toMatchObject({ ok: true, fence: taken.fence + 1 });
  });

  it('a fenced put resent the same way is applied once, even though the resend checks the fence again', async () => {
    const now = Date.now();
    const taken = await store.acquire({ id: 'l3', now, ttl: 60_000 });
    if (!taken.ok) throw new Error('not taken');
    const put = await withCut(() => store.put({ id: 'l3', now, data: '1', idleExpiresAt: null, maxLifetime: null, fence: taken.fence }));
    expect(put).toMatchObject({ ok: true, record: { version: 1 } });
    expect(await store.get('l3', now)).toMatchObject({ version: 1 });
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
