/**
 * RedisStore's items on a redis-server this file spawns: the layout of a session's item keys,
 * one script (one round trip) per append, page, pop and truncate, nothing left after a clear or
 * an expiry, the header of a session with items, and resent writes applied once.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import type { StoreAppendInput } from '../../src/index.js';
import { spawnRedis, type SpawnedRedis } from '../helpers/redis-server.js';
import { bucketKeys, uniquePrefix } from './redis-helpers.js';

const url = inject('redisUrl');

/** An append input with no limits and no expiry, at `now`. */
function batch(id: string, items: unknown[], now: number, more: Partial<StoreAppendInput> = {}): StoreAppendInput {
  const input = { id, now, idleExpiresAt: null, maxLifetime: null, maxItems: null, maxLogBytes: null, dropOldest: false };
  return { ...input, items: items.map((i) => JSON.stringify(i)), ...more };
}

describe.skipIf(!url)('RedisStore items', () => {
  let redis: SpawnedRedis;
  let admin: Redis;
  let monitor: Redis;
  const seen: { args: string[]; source: string }[] = [];
  const stores: RedisStore[] = [];

  function store(prefix = uniquePrefix()): RedisStore {
    const s = new RedisStore({ url: redis.url, prefix });
    stores.push(s);
    return s;
  }

  /** Every key under `prefix` (the spawned server holds only this file's keys). */
  async function keysUnder(prefix: string): Promise<string[]> {
    const all: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await admin.scan(cursor, 'MATCH', '*', 'COUNT', 1000);
      cursor = next;
      all.push(...found.filter((k) => k.startsWith(prefix)));
    } while (cursor !== '0');
    return all.sort();
  }

  /** The commands the store sent while `fn` ran, and those scripts ran inside (source lua). */
  async function sent(fn: () => Promise<unknown>): Promise<{ args: string[]; source: string }[]> {
    await admin.ping();
    const from = seen.length;
    await fn();
    await admin.echo('end-marker');
    await vi.waitFor(() => expect(seen.some((c) => c.args[1] === 'end-marker')).toBe(true));
    const slice = seen.splice(from);
    seen.length = 0;
    return slice.filter((c) => !['ping', 'echo'].includes(c.args[0]!.toLowerCase()));
  }

  beforeAll(async () => {
    redis = await spawnRedis();
    admin = new Redis(redis.url);
    monitor = await new Redis(redis.url).monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ args, source }));
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    monitor?.disconnect();
    admin?.disconnect();
    await redis?.dispose();
  });

  it('keeps items in one hash next to the session, in its hash slot, and the counts in the header', async () => {
    const prefix = uniquePrefix();
    const s = store(prefix);
    const now = Date.now();
    expect(await s.append(batch('a', [{ n: 1 }, 'é', [3]], now))).toEqual({ ok: true, version: 1, firstSeq: 1, lastSeq: 3, replayed: false });
    const b = bucketKeys(prefix).find((k) => k.ids !== '' && k.session.length > 0 && k)!;
    const keys = await keysUnder(prefix);
    const tag = /\{b\d+\}/.exec(keys.find((k) => k.endsWith(':s:a'))!)![0];
    expect(keys).toEqual([`${prefix}${tag}:i:a`, `${prefix}${tag}:ids`, `${prefix}${tag}:s:a`]);
    expect(b).toBeDefined();
    const value = (await admin.get(`${prefix}${tag}:s:a`))!;
    expect(value.slice(0, 128)).toMatch(/^1,(\d+),\1,,[\w-]+,3,3 *\n$/);
    expect(value.slice(128)).toBe('null');
    expect(await admin.hgetall(`${prefix}${tag}:i:a`)).toEqual({
      1: `${now},{"n":1}`,
      2: `${now},"é"`,
      3: `${now},[3]`,
      b: String(Buffer.byteLength('{"n":1}"é"[3]')),
    });
    const put = await s.put({ id: 'a', data: '{"x":1}', now: now + 1, idleExpiresAt: null, maxLifetime: null });
    expect(put).toMatchObject({ ok: true, record: { version: 2, itemCount: 3, lastSeq: 3 } });
    expect(await s.get('a', now + 2)).toMatchObject({ data: '{"x":1}', version: 2, itemCount: 3, lastSeq: 3 });
    expect((await s.list({ prefix: '', limit: 10, meta: true, now: now + 2 }))[0]).toMatchObject({ itemCount: 3, lastSeq: 3 });
  });

  it('each append, page, pop and truncate is one EVALSHA, one round trip', async () => {
    const s = store();
    const now = Date.now();
    await s.append(batch('r', [1], now)); // loads the append script
    await s.items({ id: 'r', now, limit: 10, order: 'asc' });
    await s.pop({ id: 'r', now });
    await s.truncate({ id: 'r', now, after: 0 });
    for (const op of [
      () => s.append(batch('r', [1, 2, 3], now, { idempotencyKey: 'k1', replaceAfter: 0, maxItems: 5, dropOldest: true })),
      () => s.items({ id: 'r', now, limit: 10, order: 'desc' }),
      () => s.pop({ id: 'r', now, ifVersion: 3 }),
      () => s.truncate({ id: 'r', now, before: 2 }),
    ]) {
      const cmds = (await sent(op)).filter((c) => c.source !== 'lua').map((c) => c.args[0]!.toLowerCase());
      expect(cmds).toEqual(['evalsha']);
    }
    expect(await s.items({ id: 'r', now, limit: 10, order: 'asc' })).toEqual({
      items: [{ seq: 2, data: '2', createdAt: now }],
      version: 5,
      hasMore: false,
    });
  });

  it('an append never reads the log it appends to; a page reads only its own items', async () => {
    const s = store();
    const now = Date.now();
    for (let i = 0; i < 20; i++) await s.append(batch('big', Array.from({ length: 50 }, (_, j) => ({ i, j })), now));
    const inside = (await sent(() => s.append(batch('big', ['x'], now)))).filter((c) => c.source === 'lua');
    const reads = inside.filter((c) => ['hget', 'hmget', 'hgetall', 'hvals', 'hscan', 'get'].includes(c.args[0]!.toLowerCase()));
    expect(reads).toEqual([expect.objectContaining({ args: ['HGET', expect.stringMatching(/:i:big$/), 'b'] })].slice(0, reads.length));
    expect(reads.length).toBeLessThanOrEqual(1);
    const page = (await sent(() => s.items({ id: 'big', now, limit: 5, order: 'desc' }))).filter((c) => c.source === 'lua');
    const hmget = page.filter((c) => c.args[0]!.toLowerCase() === 'hmget');
    expect(hmget).toHaveLength(1);
    expect(hmget[0]!.args.slice(2)).toEqual(['1001', '1000', '999', '998', '997']);
  });

  it('after a clear and after an expiry no key of the session is left', async () => {
    const prefix = uniquePrefix();
    const s = store(prefix);
    const now = Date.now();
    await s.append(batch('c', [1, 2], now, { idempotencyKey: 'k' }));
    await s.pop({ id: 'c', now });
    expect((await keysUnder(prefix)).length).toBe(3);
    expect(await s.delete({ id: 'c', now })).toMatchObject({ ok: true, record: { itemCount: 1, lastSeq: 1 } });
    expect(await keysUnder(prefix)).toEqual([]);

    await s.append(batch('e', [1, 2], Date.now(), { idleExpiresAt: Date.now() + 150, idempotencyKey: 'k' }));
    const keys = await keysUnder(prefix);
    expect(keys).toHaveLength(4); // value, items, ids, exp
    const value = keys.find((k) => k.includes(':s:'))!;
    const items = keys.find((k) => k.includes(':i:'))!;
    expect(await admin.pexpiretime(items)).toBe(await admin.pexpiretime(value));
    await s.put({ id: 'e', data: '1', now: Date.now(), idleExpiresAt: Date.now() + 200, maxLifetime: null });
    expect(await admin.pexpiretime(items)).toBe(await admin.pexpiretime(value));
    await new Promise((r) => setTimeout(r, 300));
    // a write with an expiry sweeps the bucket's expired ids (another id of the same bucket)
    const other = Array.from({ length: 200 }, (_, i) => `o${i}`).find((id) => bucketOf(prefix, id) === bucketOf(prefix, 'e'))!;
    await s.put({ id: other, data: '1', now: Date.now(), idleExpiresAt: Date.now() + 60_000, maxLifetime: null });
    await s.delete({ id: other, now: Date.now() });
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it('a session created again over an expired one starts at seq 1, with no key remembered', async () => {
    const s = store();
    const now = Date.now();
    await s.append(batch('x', [1, 2, 3], now, { idleExpiresAt: now + 10, idempotencyKey: 'k' }));
    expect(await s.append(batch('x', [4], now + 20, { idempotencyKey: 'k' }))).toMatchObject({ firstSeq: 1, lastSeq: 1, version: 1, replayed: false });
    expect(await s.items({ id: 'x', now: now + 20, limit: 10, order: 'asc' })).toMatchObject({ items: [{ seq: 1, data: '4' }] });
  });
});

/** The bucket of `id` (through the store's own layout: the key that a put creates). */
function bucketOf(_prefix: string, id: string): number {
  return bucketIndex(id);
}
import { bucketOf as bucketIndex } from '../../adapters/redis/keys.js';
