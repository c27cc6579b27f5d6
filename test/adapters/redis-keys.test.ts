/**
 * What RedisStore sends, watched with MONITOR and INFO COMMANDSTATS on a redis-server this
 * file spawns: no KEYS, SCAN, FLUSHDB or FLUSHALL; key prefixes with glob characters stay
 * apart; the key layout is the documented one; one command per get/put/clear; meta listing
 * never reads `data`; stale index entries are dropped; no timer per command.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { RedisStore } from '../../adapters/redis.js';
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
        expected.push(found[0]!.session + id, found[0]!.ids);
        expect(await admin.zscore(found[0]!.ids, id)).toBe('0');
        if (id === 'y') expected.push(found[0]!.exp);
      }
    }
    expect(await admin.dbsize()).toBe(new Set(expected).size);
  });

  it('get, put and clear are one command each; meta listing never reads data; two rounds for a page', async () => {
    const sessions = manager(uniquePrefix());
    await sessions.put('warm', 1); // loads the script
    expect(await sent(() => sessions.get('warm'))).toEqual([
      ['hmget', expect.stringMatching(/:s:warm$/), 'data', 'version', 'createdAt', 'updatedAt', 'expiresAt'],
    ]);
    expect((await sent(() => sessions.put('warm', 2))).map((c) => c[0])).toEqual(['evalsha']);
    expect((await sent(() => sessions.clear('warm'))).map((c) => c[0])).toEqual(['evalsha']);
    for (let i = 0; i < 150; i++) await sessions.put(`s${String(i).padStart(3, '0')}`, 'x'.repeat(100));
    const meta = await sent(() => sessions.list({ fields: 'meta', limit: 100 }));
    expect(meta.filter((c) => c[0] === 'zrange')).toHaveLength(16);
    expect(meta.filter((c) => c[0] === 'hmget')).toHaveLength(101);
    expect(meta.every((c) => ['zrange', 'hmget'].includes(c[0]!) && !c.includes('data'))).toBe(true);
    const all = await sent(() => sessions.list({ limit: 100 }));
    expect(all.filter((c) => c[0] === 'hmget').every((c) => c.includes('data'))).toBe(true);
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
    for (let i = 0; i < 40; i++) await sessions.put(`t${i}`, i, { ttl: 30 });
    await sessions.put('keep', 1);
    await sessions.put('evicted', 1);
    // As maxmemory eviction would: the hash goes, its index entry stays.
    for (const b of bucketKeys(prefix)) await admin.del(b.session + 'evicted');
    await new Promise((r) => setTimeout(r, 80)); // Redis expires the t* hashes by itself
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

  it('each write also removes expired sessions of its bucket, so they stop costing memory unlisted', async () => {
    const prefix = uniquePrefix();
    const sessions = manager(prefix);
    for (let i = 0; i < 64; i++) await sessions.put(`e${i}`, i, { ttl: 30 });
    await new Promise((r) => setTimeout(r, 80));
    for (let i = 0; i < 64; i++) await sessions.put(`n${i}`, i); // about 4 writes per bucket, 10 swept each
    let left = 0;
    for (const b of bucketKeys(prefix)) left += (await admin.zcard(b.exp)) + (await admin.zcount(b.ids, '-inf', '+inf'));
    expect(left).toBe(64); // only the n* ids
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
