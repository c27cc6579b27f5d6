/**
 * What RedisStore sends, watched with MONITOR and INFO COMMANDSTATS on a redis-server this
 * file spawns: no KEYS, SCAN, FLUSHDB or FLUSHALL; key prefixes with glob characters stay
 * apart; the key layout and the session header are the documented ones; one command per
 * get/put/clear; meta listing never reads `data`; values that are not ours read as absent;
 * stale index entries are dropped; no timer per command.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { bucketOf } from '../../adapters/redis/keys.js';
import { SessionManager } from '../../src/index.js';
import { spawnRedis, type SpawnedRedis } from '../helpers/redis-server.js';
import { bucketKeys, uniquePrefix } from './redis-helpers.js';

const url = inject('redisUrl');

describe.skipIf(!url)('RedisStore keys and commands', () => {
  let redis: SpawnedRedis;
  let admin: Redis;
  let monitor: Redis;
  const seen: { args: string[]; source: string }[] = [];
  const managers: SessionManager[] = [];

  function manager(prefix: string): SessionManager {
    const sessions = new SessionManager({ store: new RedisStore({ url: redis.url, prefix }) });
    managers.push(sessions);
    return sessions;
  }

  /** The commands the stores sent while `fn` ran (not those run inside scripts). */
  async function sent(fn: () => Promise<unknown>): Promise<string[][]> {
    await admin.ping(); // MONITOR shows commands in order: a marker before…
    const from = seen.length;
    await fn();
    await admin.echo('end-marker'); // …and after
    await vi.waitFor(() => expect(seen.some((c) => c.args[1] === 'end-marker')).toBe(true));
    const slice = seen.splice(from);
    seen.length = 0;
    return slice.filter((c) => c.source !== 'lua' && !['ping', 'echo'].includes(c.args[0]!.toLowerCase())).map((c) => c.args);
  }

  beforeAll(async () => {
    redis = await spawnRedis();
    admin = new Redis(redis.url);
    monitor = await new Redis(redis.url).monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ args, source }));
  });

  afterAll(async () => {
    await Promise.all(managers.map((m) => m.close()));
    monitor?.disconnect();
    admin?.disconnect();
    await redis?.dispose();
  });

  it('key prefixes with * ? [ ] \\ keep their sessions apart, in exactly the documented keys', async () => {
    const prefixes = ['a*', 'a?', 'a[b]', 'a\\', 'a', 'ab', '*', ''];
    const stores = prefixes.map((p) => manager(p));
    const ids = ['x', 'y', 'user-1:thread-7', 'ab', 'a'];
    for (const [i, sessions] of stores.entries()) {
      for (const id of ids) await sessions.put(id, { store: i, id }, id === 'y' ? { ttl: 60_000 } : undefined);
    }
    for (const [i, sessions] of stores.entries()) {
      const page = await sessions.list();
      expect(page.sessions.map((s) => s.id)).toEqual([...ids].sort());
      expect(page.sessions.every((s) => (s.data as { store: number }).store === i)).toBe(true);
      expect((await sessions.list({ prefix: 'a' })).sessions.map((s) => s.id)).toEqual(['a', 'ab']);
    }
    await stores[0]!.clear('x');
    for (const sessions of stores.slice(1)) expect((await sessions.get('x'))?.version).toBe(1);

    // Every key is one of the layout's: <prefix>{b<n>}:s:<id>, <prefix>{b<n>}:ids, <prefix>{b<n>}:exp.
    const expected: string[] = [];
    for (const [i, prefix] of prefixes.entries()) {
      const buckets = bucketKeys(prefix);
      for (const id of ids) {
        if (i === 0 && id === 'x') continue;
        const found = [];
        for (const b of buckets) if (await admin.exists(b.session + id)) found.push(b);
        expect(found, `${prefix} ${id}`).toHaveLength(1);
        const key = found[0]!.session + id;
        expected.push(key, found[0]!.ids);
        expect(await admin.zscore(found[0]!.ids, id)).toBe('0');
        // One string: a 128-byte header `version,createdAt,updatedAt,expiresAt,token,itemCount,lastSeq`, then the JSON.
        expect(await admin.type(key)).toBe('string');
        const value = (await admin.get(key))!;
        const header = /^1,(\d+),(\d+),(\d*),[\w-]+,0,0 *\n$/.exec(value.slice(0, 128));
        expect(header, value.slice(0, 128)).not.toBeNull();
        expect(header![1]).toBe(header![2]); // created by this put
        expect(header![3] !== '').toBe(id === 'y');
        if (id === 'y') expect(Math.abs(Number(await admin.pexpiretime(key)) - Number(header![3]))).toBeLessThanOrEqual(1);
        else expect(await admin.pttl(key)).toBe(-1);
        expect(JSON.parse(value.slice(128))).toEqual({ store: i, id });
        if (id === 'y') expected.push(found[0]!.exp);
      }
    }
    expect(await admin.dbsize()).toBe(new Set(expected).size);
  });

  it('get, put and clear are one command each; meta listing never reads data; two rounds for a page', async () => {
    const sessions = manager(uniquePrefix());
    await sessions.put('warm', 1); // loads the script
    expect(await sent(() => sessions.get('warm'))).toEqual([['get', expect.stringMatching(/:s:warm$/)]]);
    expect((await sent(() => sessions.put('warm', 2))).map((c) => c[0])).toEqual(['evalsha']);
    expect((await sent(() => sessions.clear('warm'))).map((c) => c[0])).toEqual(['evalsha']);
    for (let i = 0; i < 150; i++) await sessions.put(`s${String(i).padStart(3, '0')}`, 'x'.repeat(100));
    const meta = await sent(() => sessions.list({ fields: 'meta', limit: 100 }));
    expect(meta.filter((c) => c[0] === 'zrange')).toHaveLength(16);
    // Only the 128-byte headers, never a body.
    const ranges = meta.filter((c) => c[0] === 'getrange');
    expect(ranges).toHaveLength(101);
    expect(ranges.every((c) => c[2] === '0' && c[3] === '127')).toBe(true);
    expect(meta.every((c) => ['zrange', 'getrange'].includes(c[0]!))).toBe(true);
    const all = await sent(() => sessions.list({ limit: 100 }));
    expect(all.filter((c) => c[0] === 'get')).toHaveLength(101);
    expect(all.every((c) => ['zrange', 'get'].includes(c[0]!))).toBe(true);
  });

  it('acquire, renew, release and every write carrying a fence are one EVALSHA each, all in the slot of the id', async () => {
    const prefix = uniquePrefix();
    const store = new RedisStore({ url: redis.url, prefix });
    const id = 'leased';
    const expiry = { idleExpiresAt: null, maxLifetime: null };
    const warm = await store.acquire({ id, now: Date.now(), ttl: 60_000 }); // loads the scripts
    if (!warm.ok) throw new Error('not taken');
    const fence = warm.fence;
    await store.renew({ id, now: Date.now(), fence, ttl: 60_000 });
    await store.put({ id, now: Date.now(), data: '1', ...expiry, fence });
    await store.touch({ id, now: Date.now(), ...expiry, fence });
    const batch = { ...expiry, items: ['1', '2'], maxItems: null, maxLogBytes: null, dropOldest: false };
    await store.append({ id, now: Date.now(), ...batch, fence });
    await store.pop({ id, now: Date.now(), fence });
    await store.truncate({ id, now: Date.now(), after: 0, fence });
    await store.delete({ id, now: Date.now(), fence });
    await store.release({ id, now: Date.now(), fence });
    const calls: [string, () => Promise<unknown>][] = [
      ['acquire', () => store.acquire({ id, now: Date.now(), ttl: 60_000 })],
      ['renew', () => store.renew({ id, now: Date.now(), fence: fence + 1, ttl: 60_000 })],
      ['put', () => store.put({ id, now: Date.now(), data: '1', ...expiry, fence: fence + 1 })],
      ['touch', () => store.touch({ id, now: Date.now(), ...expiry, fence: fence + 1 })],
      ['append', () => store.append({ id, now: Date.now(), ...batch, fence: fence + 1 })],
      ['pop', () => store.pop({ id, now: Date.now(), fence: fence + 1 })],
      ['truncate', () => store.truncate({ id, now: Date.now(), after: 0, fence: fence + 1 })],
      ['delete', () => store.delete({ id, now: Date.now(), fence: fence + 1 })],
      ['release', () => store.release({ id, now: Date.now(), fence: fence + 1 })],
      ['stale put', () => store.put({ id, now: Date.now(), data: '1', ...expiry, fence }).catch((e: Error) => e.name)],
    ];
    const slot = `${prefix}{b${bucketOf(id)}}:`;
    for (const [name, call] of calls) {
      const commands = await sent(call);
      expect(commands.map((c) => c[0]), name).toEqual(['evalsha']);
      const keys = commands[0]!.slice(3, 3 + Number(commands[0]![2]));
      expect(keys.every((k) => k.startsWith(slot)), `${name}: ${keys.join(' ')}`).toBe(true);
    }
    await store.close();
  });

  it('sends a script again with EVAL after NOSCRIPT (SCRIPT FLUSH, or a restart), then EVALSHA again', async () => {
    const sessions = manager(uniquePrefix());
    await sessions.put('n', 1);
    await admin.script('FLUSH');
    expect((await sent(() => sessions.put('n', 2))).map((c) => c[0])).toEqual(['evalsha', 'eval']);
    expect((await sent(() => sessions.put('n', 3))).map((c) => c[0])).toEqual(['evalsha']);
    expect((await sessions.get('n'))?.version).toBe(3);
  });

  it('drops index entries of sessions that expired or vanished, and never shows them', async () => {
    const prefix = uniquePrefix();
    const sessions = manager(prefix);
    // Written by a clock stopped an hour ago: Redis drops the t* values at once (their PXAT has
    // passed), and no write sweeps another's entries (each sees the same stopped now).
    const past = Date.now() - 3_600_000;
    const behind = new SessionManager({ store: new RedisStore({ url: redis.url, prefix }), now: () => past });
    managers.push(behind);
    for (let i = 0; i < 40; i++) await behind.put(`t${i}`, i, { ttl: 30 });
    await sessions.put('keep', 1);
    await sessions.put('evicted', 1);
    // As maxmemory eviction would: the value goes, its index entry stays.
    for (const b of bucketKeys(prefix)) await admin.del(b.session + 'evicted');
    const indexed = async () => {
      let n = 0;
      for (const b of bucketKeys(prefix)) n += await admin.zcard(b.ids);
      return n;
    };
    expect(await indexed()).toBe(42);
    expect((await sessions.list({ limit: 5 })).sessions.map((s) => s.id)).toEqual(['keep']);
    expect(await indexed()).toBe(1);
    for (const b of bucketKeys(prefix)) expect(await admin.zcard(b.exp)).toBe(0);
  });

  it('a value that is not a session (too short, a malformed header, another type) reads as absent and is overwritten', async () => {
    const prefix = uniquePrefix();
    const sessions = manager(prefix);
    const ids = ['short', 'bad-header', 'no-newline', 'hash', 'list'];
    for (const id of ids) await sessions.put(id, 'mine'); // indexed, so list meets them below
    const keyOf = async (id: string) => {
      for (const b of bucketKeys(prefix)) if (await admin.exists(b.session + id)) return b.session + id;
      throw new Error(id);
    };
    const keys = Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await keyOf(id)] as const)));
    await admin.set(keys.short!, '1,2,3,,t\n"x"');
    await admin.set(keys['bad-header']!, `x,2,3,,t${' '.repeat(119)}\n"x"`);
    await admin.set(keys['no-newline']!, `1,2,3,,t${' '.repeat(130)}"x"`);
    await admin.del(keys.hash!);
    await admin.hset(keys.hash!, 'data', '"x"', 'version', '1');
    await admin.del(keys.list!);
    await admin.rpush(keys.list!, 'x');
    for (const id of ids) expect(await sessions.get(id), id).toBeUndefined();
    expect((await sessions.list()).sessions).toEqual([]);
    expect((await sessions.list({ fields: 'meta' })).sessions).toEqual([]);
    for (const id of ids) expect(await sessions.touch(id), id).toBeUndefined();
    await sessions.put('list', 'again'); // written back after list dropped it
    await admin.del(keys.list!);
    await admin.rpush(keys.list!, 'x');
    expect(await sessions.clear('list')).toBeUndefined();
    for (const id of ids) {
      await admin.del(keys[id]!);
      await admin.hset(keys[id]!, 'data', '"x"');
      expect((await sessions.put(id, 'new')).version, id).toBe(1);
      expect(await sessions.get(id), id).toMatchObject({ data: 'new', version: 1 });
    }
    expect((await sessions.list()).sessions.map((s) => s.id)).toEqual([...ids].sort());
  });

  it('each write that sets an expiry also removes expired sessions of its bucket, so they stop costing memory unlisted', async () => {
    const prefix = uniquePrefix();
    const sessions = manager(prefix);
    for (let i = 0; i < 64; i++) await sessions.put(`e${i}`, i, { ttl: 30 });
    await new Promise((r) => setTimeout(r, 80));
    for (let i = 0; i < 64; i++) await sessions.put(`n${i}`, i, { ttl: 60_000 }); // about 4 writes per bucket, 10 swept each
    let left = 0;
    for (const b of bucketKeys(prefix)) left += (await admin.zcard(b.exp)) + (await admin.zcount(b.ids, '-inf', '+inf'));
    expect(left).toBe(128); // only the n* ids, each in both indexes
  });

  it('sets no timer per command: one interval serves every operation in flight', async () => {
    const sessions = manager(uniquePrefix());
    await sessions.put('t', 0);
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    const intervals = vi.spyOn(globalThis, 'setInterval');
    try {
      await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? sessions.get('t') : sessions.put(`t${i}`, i))));
      expect(timeouts).not.toHaveBeenCalled();
      expect(intervals.mock.calls.length).toBeLessThanOrEqual(1);
    } finally {
      timeouts.mockRestore();
      intervals.mockRestore();
    }
  });

  it('never sends KEYS, SCAN, FLUSHDB or FLUSHALL (INFO COMMANDSTATS over this whole file)', async () => {
    const stats = await admin.info('commandstats');
    for (const cmd of ['keys', 'scan', 'flushdb', 'flushall']) expect(stats).not.toMatch(new RegExp(`^cmdstat_${cmd}:`, 'm'));
    expect(stats).toMatch(/^cmdstat_evalsha:/m);
    expect(seen.filter((c) => ['keys', 'scan', 'flushdb', 'flushall'].includes(c.args[0]!.toLowerCase()))).toEqual([]);
  });

  it('refuses bad options with a TypeError naming the option', () => {
    const client = admin;
    expect(() => new RedisStore({} as never)).toThrow(/exactly one of client .* and url/);
    expect(() => new RedisStore({ client, url: 'redis://x' })).toThrow(TypeError);
    expect(() => new RedisStore({ client, prefix: 'a{b}' })).toThrow(/prefix must be a string without \{ or \}/);
    expect(() => new RedisStore({ client, prefix: 3 as never })).toThrow(/prefix/);
    for (const timeout of [0, -1, NaN, Infinity, '5']) {
      expect(() => new RedisStore({ client, timeout: timeout as number })).toThrow(/timeout must be a positive number/);
    }
  });
});
