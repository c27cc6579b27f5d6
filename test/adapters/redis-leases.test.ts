/**
 * RedisStore leases on redis-servers this file spawns: the lease key and the bucket counters
 * are the documented ones, a fence is refused by every write script once it is not the live
 * lease's (nothing changed), fences only grow (across clears and expiries of the session and
 * of the lease, and across restarts with and without persistence), and once leases on 10,000
 * ids have expired no key is left but the buckets' counters.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { bucketOf } from '../../adapters/redis/keys.js';
import { FencedError, type SessionStore } from '../../src/index.js';
import { hasRedisServer, spawnRedis, type SpawnedRedis } from '../helpers/redis-server.js';
import { bucketKeys, uniquePrefix } from './redis-helpers.js';

const available = hasRedisServer();
if (!available && process.env.CI) throw new Error('the Redis lease tests need a redis-server binary on the PATH under CI');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The lease key of `id` under `prefix`. */
const leaseKey = (prefix: string, id: string) => bucketKeys(prefix)[bucketOf(id)]!.lease + id;

/** The six writes of `id` at `now`, each carrying `fence`. */
function writes(store: SessionStore, id: string, now: number, fence: number) {
  const base = { id, now, fence };
  const expiry = { idleExpiresAt: null, maxLifetime: null };
  return {
    put: () => store.put({ ...base, ...expiry, data: '"stale"' }),
    touch: () => store.touch({ ...base, ...expiry }),
    delete: () => store.delete(base),
    append: () => store.append({ ...base, ...expiry, items: ['"stale"'], maxItems: null, maxLogBytes: null, dropOldest: false }),
    pop: () => store.pop(base),
    truncate: () => store.truncate({ ...base, after: 0 }),
  };
}

describe.skipIf(!available)('RedisStore leases', () => {
  let redis: SpawnedRedis;
  let admin: Redis;
  const stores: RedisStore[] = [];

  function open(prefix = uniquePrefix(), url = redis.url): RedisStore {
    const store = new RedisStore({ url, prefix });
    stores.push(store);
    return store;
  }

  beforeAll(async () => {
    redis = await spawnRedis();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    admin?.disconnect();
    await redis?.dispose();
  });

  it('the lease of an id is one key in its session slot, `fence,expiresAt,token` with PEXPIREAT at its expiry; the fence comes from the bucket counter', async () => {
    const prefix = uniquePrefix();
    const store = open(prefix);
    const b = bucketKeys(prefix)[bucketOf('worker-1')]!;
    const now = Date.now();
    const taken = await store.acquire({ id: 'worker-1', now, ttl: 60_000 });
    expect(taken).toEqual({ ok: true, fence: expect.any(Number), expiresAt: now + 60_000 });
    if (!taken.ok) throw new Error('not taken');
    const lease = leaseKey(prefix, 'worker-1');
    expect(await admin.get(lease)).toMatch(new RegExp(`^${taken.fence},${now + 60_000},[\\w-]+$`));
    expect(Number(await admin.pexpiretime(lease))).toBe(now + 60_000);
    expect(Number(await admin.get(b.fences))).toBe(taken.fence);
    // a fresh counter starts at the caller's clock, so fences stay above any issued before it was lost
    expect(taken.fence).toBe(now);
    expect(await admin.exists(b.session + 'worker-1')).toBe(0); // acquire does not create the session
    expect(await store.acquire({ id: 'worker-1', now: now + 1, ttl: 10 })).toEqual({ ok: false, expiresAt: now + 60_000 });
    const renewed = await store.renew({ id: 'worker-1', now: now + 2, fence: taken.fence, ttl: 90_000 });
    expect(renewed).toBe(now + 90_002);
    expect(Number(await admin.pexpiretime(lease))).toBe(now + 90_002);
    expect(await store.release({ id: 'worker-1', now: now + 3, fence: taken.fence })).toBe(true);
    expect(await admin.get(lease)).toMatch(new RegExp(`^${taken.fence},0,[\\w-]+$`)); // marked released, gone at the old expiry
    expect(Number(await admin.pexpiretime(lease))).toBe(now + 90_002);
    expect(await store.release({ id: 'worker-1', now: now + 4, fence: taken.fence })).toBe(false);
    expect(await store.renew({ id: 'worker-1', now: now + 4, fence: taken.fence, ttl: 10 })).toBeUndefined();
    const next = await store.acquire({ id: 'worker-1', now: now + 5, ttl: 1000 });
    expect(next).toMatchObject({ ok: true, fence: taken.fence + 1 });
  });

  it('every write with a fence that is not the live lease is refused with FencedError and changes nothing: after another acquire, a release, an expiry, a lost key', async () => {
    const prefix = uniquePrefix();
    const store = open(prefix);
    const id = 'guarded';
    const now = Date.now();
    const first = await store.acquire({ id, now, ttl: 1000 });
    if (!first.ok) throw new Error('not taken');
    const put = await store.put({ id, now, data: '"mine"', idleExpiresAt: null, maxLifetime: null, fence: first.fence });
    expect(put).toMatchObject({ ok: true, record: { version: 1 } });
    await store.append({ id, now, items: ['1', '2'], idleExpiresAt: null, maxLifetime: null, maxItems: null, maxLogBytes: null, dropOldest: false, fence: first.fence });
    const snapshot = async () => [await store.get(id, now), await store.items({ id, now, limit: 10, order: 'asc' })];
    const before = await snapshot();
    expect(before[0]).toMatchObject({ data: '"mine"', version: 2, itemCount: 2 });

    const refusedAll = async (at: number, fence: number) => {
      for (const [name, write] of Object.entries(writes(store, id, at, fence))) {
        await expect(write(), `${name} with fence ${fence}`).rejects.toBeInstanceOf(FencedError);
      }
      expect(await snapshot()).toEqual(before);
    };
    // expired at the writer's clock (the key is still in Redis)
    await refusedAll(now + 1000, first.fence);
    // a newer lease: the old fence, and one never issued
    const second = await store.acquire({ id, now: now + 1000, ttl: 60_000 });
    if (!second.ok) throw new Error('not taken');
    expect(second.fence).toBeGreaterThan(first.fence);
    await refusedAll(now + 1001, first.fence);
    await refusedAll(now + 1001, second.fence + 1);
    await expect(store.put({ id, now: now + 1001, data: '"x"', idleExpiresAt: null, maxLifetime: null, fence: second.fence, ifVersion: 7 })).resolves.toMatchObject({ ok: false, currentVersion: 2 });
    // released
    expect(await store.release({ id, now: now + 1002, fence: second.fence })).toBe(true);
    await refusedAll(now + 1003, second.fence);
    // the key gone, as when Redis removes it at its expiry
    const third = await store.acquire({ id, now: now + 1004, ttl: 60_000 });
    if (!third.ok) throw new Error('not taken');
    expect(await admin.del(leaseKey(prefix, id))).toBe(1);
    await refusedAll(now + 1005, third.fence);
    // and the live one writes
    const fourth = await store.acquire({ id, now: now + 1006, ttl: 60_000 });
    if (!fourth.ok) throw new Error('not taken');
    const written = await store.put({ id, now: now + 1007, data: '"ok"', idleExpiresAt: null, maxLifetime: null, fence: fourth.fence });
    expect(written).toMatchObject({ ok: true, record: { version: 3 } });
  });

  it('fences of an id strictly increase across clears and expiries of the session, expiries and releases of the lease, and other ids of the bucket', async () => {
    const prefix = uniquePrefix();
    const store = open(prefix);
    const id = 'mono';
    const fences: number[] = [];
    const take = async (now: number, ttl: number) => {
      const got = await store.acquire({ id, now, ttl });
      if (!got.ok) throw new Error(`held until ${got.expiresAt}`);
      fences.push(got.fence);
      return got.fence;
    };
    const now = Date.now();
    const expiry = { idleExpiresAt: null, maxLifetime: null };
    let fence = await take(now, 50);
    await store.put({ id, now, data: '1', ...expiry, fence });
    fence = await take(now + 50, 1000); // the lease expired at the caller's clock
    expect(await store.delete({ id, now: now + 60, fence })).toMatchObject({ ok: true }); // the session cleared
    await store.release({ id, now: now + 61, fence });
    fence = await take(now + 62, 30);
    await store.put({ id, now: now + 62, data: '2', idleExpiresAt: now + 72, maxLifetime: null, fence });
    await sleep(now + 150 - Date.now()); // the session and the lease expire in Redis too: their keys are gone
    expect(await admin.exists(leaseKey(prefix, id), bucketKeys(prefix)[bucketOf(id)]!.session + id)).toBe(0);
    await take(Date.now(), 1000);
    // other ids of the bucket take fences from the same counter
    const neighbour = Array.from({ length: 200 }, (_, i) => `n${i}`).find((n) => bucketOf(n) === bucketOf(id))!;
    const other = await store.acquire({ id: neighbour, now: Date.now(), ttl: 1000 });
    expect(other).toMatchObject({ ok: true, fence: fences.at(-1)! + 1 });
    await store.release({ id, now: Date.now(), fence: fences.at(-1)! });
    await take(Date.now(), 1000);
    expect(fences.every((f, i) => i === 0 || f > fences[i - 1]!)).toBe(true);
    expect(fences.every((f) => Number.isSafeInteger(f))).toBe(true);
  });

  it('fences keep increasing across a restart of a server with appendonly yes / appendfsync always, SIGKILLed', async () => {
    let server = await spawnRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    try {
      const issued: number[] = [];
      const prefix = uniquePrefix();
      const run = async (n: number) => {
        const store = new RedisStore({ url: server.url, prefix });
        for (let i = 0; i < n; i++) {
          const now = Date.now();
          const got = await store.acquire({ id: 'persisted', now, ttl: 60_000 });
          if (!got.ok) throw new Error('held');
          issued.push(got.fence);
          await store.release({ id: 'persisted', now, fence: got.fence });
        }
        await store.close();
      };
      await run(20);
      const last = issued.at(-1)!;
      await server.stop('SIGKILL');
      server = await server.restart();
      await run(20);
      expect(issued[20]).toBe(last + 1); // the counter itself survived
      expect(issued.every((f, i) => i === 0 || f > issued[i - 1]!)).toBe(true);
    } finally {
      await server.dispose();
    }
  });

  it('without persistence, a counter lost in a restart starts again at the clock: fences still increase', async () => {
    let server = await spawnRedis();
    try {
      const prefix = uniquePrefix();
      const issued: number[] = [];
      const run = async (n: number) => {
        const store = new RedisStore({ url: server.url, prefix });
        for (let i = 0; i < n; i++) {
          const now = Date.now();
          const got = await store.acquire({ id: 'volatile', now, ttl: 60_000 });
          if (!got.ok) throw new Error('held');
          issued.push(got.fence);
          await store.release({ id: 'volatile', now, fence: got.fence });
        }
        await store.close();
      };
      await run(20);
      await server.stop('SIGKILL');
      server = await server.restart();
      await sleep(25); // more ms than fences issued in the bucket since its counter started
      await run(20);
      expect(issued.every((f, i) => i === 0 || f > issued[i - 1]!)).toBe(true);
    } finally {
      await server.dispose();
    }
  });

  it('after leases on 10,000 ids expire, no lease key is left: only the buckets\' fence counters', async () => {
    const server = await spawnRedis();
    const client = new Redis(server.url);
    try {
      const prefix = uniquePrefix();
      const store = new RedisStore({ client, prefix });
      const ids = Array.from({ length: 10_000 }, (_, i) => `user-${i}:thread-${i % 7}`);
      for (let i = 0; i < ids.length; i += 500) {
        const now = Date.now();
        const got = await Promise.all(ids.slice(i, i + 500).map((id) => store.acquire({ id, now, ttl: 500 })));
        expect(got.every((g) => g.ok)).toBe(true); // each wrote its lease key
      }
      // Redis's own expiry removes them (its active cycle, no read needed)
      await vi.waitFor(async () => expect(await client.dbsize()).toBe(16), { timeout: 20_000, interval: 200 });
      const keys = (await client.keys('*')).sort();
      expect(keys).toEqual(bucketKeys(prefix).map((b) => b.fences).sort());
      await store.close();
    } finally {
      client.disconnect();
      await server.dispose();
    }
  }, 60_000);
});
