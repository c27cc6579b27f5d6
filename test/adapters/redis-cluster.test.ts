/**
 * RedisStore on a real Redis Cluster (3 masters, 1 replica each) started from the
 * `redis-server` binary by test/helpers/redis-cluster.ts: the conformance suite, spread over
 * masters, single-slot scripts, paging across buckets, cross-process updates, and a failover
 * with and without waiting for replicas.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from 'ioredis';
import { bundleChild } from '../helpers/bundle-child.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager, StoreUnavailableError, VersionConflictError } from '../../src/index.js';
import { describeStore } from '../conformance/index.js';
import { checkLog } from './redis-helpers.js';
import { parseInfo, startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { freePort, hasRedisServer } from '../helpers/redis-server.js';

const available = hasRedisServer();
if (!available && process.env.CI) throw new Error('the Redis Cluster tests need a redis-server binary on the PATH under CI');
if (!available) console.warn('\n!!! SKIPPING THE REDIS CLUSTER TESTS: no redis-server binary on the PATH\n');

const here = dirname(fileURLToPath(import.meta.url));
const randomPrefix = () => `as-${randomBytes(4).toString('hex')}:`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn(i)` for i in [0, n) with at most `width` in flight. */
async function inParallel(n: number, width: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/**
 * Watches every command the client sends (pipelines included), through the Cluster's routing
 * or straight on a node's connection. `rounds` counts round trips as causal steps: a command
 * sent after a reply to an earlier watched command came back starts a new round; commands sent
 * together before any reply share one.
 */
function watch(client: Cluster) {
  const sent: { name: string; args: unknown[]; round: number }[] = [];
  const seen = new WeakSet<object>();
  const restores: (() => void)[] = [];
  let rounds = 0;
  let replied = true;
  for (const target of [client, ...client.nodes('all')] as { sendCommand: (...a: any[]) => unknown }[]) {
    const original = target.sendCommand;
    target.sendCommand = function (this: unknown, command: any, ...rest: any[]) {
      const promise = original.call(this, command, ...rest);
      if (!seen.has(command)) {
        seen.add(command);
        if (replied) {
          rounds++;
          replied = false;
        }
        sent.push({ name: String(command.name).toLowerCase(), args: command.args, round: rounds });
        Promise.resolve(promise).then(
          () => (replied = true),
          () => (replied = true),
        );
      }
      return promise;
    };
    restores.push(() => (target.sendCommand = original));
  }
  return {
    sent,
    get rounds() {
      return rounds;
    },
    reset() {
      sent.length = 0;
      rounds = 0;
      replied = true;
    },
    restore() {
      for (const r of restores) r();
    },
  };
}

describe.skipIf(!available)('RedisStore on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;

  /** `INFO <section>` of every live master, by port. */
  const infoOfMasters = async (section: string) => {
    await cluster.refresh();
    const out = new Map<number, Record<string, string>>();
    for (const m of cluster.masters()) out.set(m.port, parseInfo(String(await cluster.command(m.port, 'INFO', section))));
    return out;
  };
  const dbsizes = async () => {
    const out = new Map<number, number>();
    for (const m of cluster.masters()) out.set(m.port, Number(await cluster.command(m.port, 'DBSIZE')));
    return out;
  };

  beforeAll(async () => {
    cluster = await startRedisCluster();
    // ioredis' default options, as a user would pass them: the store's own deadline must bound
    // every operation whatever they are. (disableClientInfo only because Redis 7.0 answers
    // CLIENT SETINFO with ERR, which would muddle the check of INFO errorstats below.)
    client = new Cluster(cluster.startupNodes, { redisOptions: { disableClientInfo: true } });
    for (const m of cluster.masters()) await cluster.command(m.port, 'CONFIG', 'RESETSTAT');
  }, 60_000);

  afterAll(async () => {
    client?.disconnect();
    await cluster?.dispose();
  });

  describeStore('RedisStore on a Cluster', () => new RedisStore({ client, prefix: randomPrefix() }), {
    // two store instances over one Cluster client (the cross-process tests below use two processes)
    shared: () => {
      const prefix = randomPrefix();
      return [new RedisStore({ client, prefix }), new RedisStore({ client, prefix })];
    },
  });

  describe('layout over slots', () => {
    const prefix = randomPrefix();
    const ids = Array.from({ length: 10_000 }, (_, i) => `user-${i}:thread-${i % 7}`);

    it('spreads 10,000 sessions over the 3 masters, none holding more than half', async () => {
      const sessions = new SessionManager({ store: new RedisStore({ client, prefix }) });
      const before = await dbsizes();
      await inParallel(ids.length, 64, (i) => sessions.put(ids[i]!, { i }));
      const after = await dbsizes();
      const added = [...after].map(([port, n]) => ({ port, keys: n - (before.get(port) ?? 0) }));
      const total = added.reduce((s, a) => s + a.keys, 0);
      console.log(`keys added per master (DBSIZE): ${added.map((a) => `${a.port}: ${a.keys}`).join(', ')}; total ${total}`);
      expect(added).toHaveLength(3);
      expect(total).toBeGreaterThanOrEqual(ids.length);
      for (const a of added) {
        expect(a.keys).toBeGreaterThan(0);
        expect(a.keys).toBeLessThanOrEqual(total / 2);
      }
      await sessions.close();
    });

    it('lists them in id order with one cursor, in a bounded number of round trips per page', async () => {
      const sessions = new SessionManager({ store: new RedisStore({ client, prefix }) });
      const watcher = watch(client);
      try {
        const seen: string[] = [];
        const perPage: { rounds: number; commands: number }[] = [];
        let cursor: string | undefined;
        do {
          watcher.reset();
          const page = await sessions.list({ limit: 1000, cursor, fields: 'meta' });
          perPage.push({ rounds: watcher.rounds, commands: watcher.sent.length });
          // A meta page reads each session's 128-byte header, never its body.
          expect(new Set(watcher.sent.map((c) => c.name))).toEqual(new Set(['zrange', 'getrange']));
          seen.push(...page.sessions.map((s) => s.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        expect(seen).toEqual([...ids].sort());

        watcher.reset();
        const page = await sessions.list({ limit: 100, prefix: 'user-42' });
        expect(page.sessions.map((s) => s.id)).toEqual(ids.filter((id) => id.startsWith('user-42')).sort().slice(0, 100));
        const withBodies = { rounds: watcher.rounds, commands: watcher.sent.length };
        console.log(
          `list round trips per page of 1000 (meta): ${perPage.map((p) => p.rounds).join(' ')}; commands: ${perPage.map((p) => p.commands).join(' ')}; page of 100 with data: ${withBodies.rounds} round trips, ${withBodies.commands} commands`,
        );
        // Bounded: ids from every bucket at once, then the page's sessions — two round trips
        // for every page, whatever the number of sessions (a third only to replace ids of
        // sessions that vanished, and none have here).
        const most = Math.max(...perPage.map((p) => p.rounds), withBodies.rounds);
        expect(most).toBeLessThanOrEqual(2);
        expect(watcher.sent.map((c) => c.name)).not.toContain('scan');
        expect(watcher.sent.map((c) => c.name)).not.toContain('keys');
      } finally {
        watcher.restore();
        await sessions.close();
      }
    });

    it('writes with one single-slot script per put, update, touch and clear, and no cross-slot error anywhere', async () => {
      const sessions = new SessionManager({ store: new RedisStore({ client, prefix: randomPrefix() }), ttl: 60_000 });
      await sessions.put('warm-up', 0); // scripts loaded on every master the first time
      for (let i = 0; i < 30; i++) await sessions.put(`warm-${i}`, i);
      const watcher = watch(client);
      try {
        const writes: string[][] = [];
        for (let i = 0; i < 30; i++) {
          const id = `w-${i}-${randomBytes(3).toString('hex')}`;
          for (const op of [
            () => sessions.put(id, { i }),
            () => sessions.put(id, { i: i + 1 }, { ifVersion: 1 }),
            () => sessions.touch(id),
            () => sessions.clear(id, { ifVersion: 2 }),
          ]) {
            watcher.reset();
            await op();
            writes.push(watcher.sent.map((c) => c.name));
            // Every key of the script hashes to one slot.
            const script = watcher.sent.find((c) => c.name === 'evalsha' || c.name === 'eval');
            expect(script).toBeDefined();
            const numKeys = Number(script!.args[1]);
            const keys = script!.args.slice(2, 2 + numKeys).map(String);
            const slots = new Set(
              await Promise.all(keys.map(async (k) => Number(await cluster.command(cluster.masters()[0]!.port, 'CLUSTER', 'KEYSLOT', k)))),
            );
            expect(slots.size).toBe(1);
          }
        }
        for (const names of writes) {
          expect(names.filter((n) => n === 'evalsha' || n === 'eval' || n === 'fcall')).toHaveLength(1);
          for (const n of ['multi', 'exec', 'watch', 'set', 'del', 'zadd', 'zrem']) expect(names).not.toContain(n);
        }
      } finally {
        watcher.restore();
        await sessions.close();
      }
      // Whatever ran on the masters so far (conformance suite included): no CROSSSLOT, no
      // script touching a key of another slot, no error but a NOSCRIPT while loading.
      const errors = await infoOfMasters('errorstats');
      for (const [port, stats] of errors) {
        const kinds = Object.keys(stats).filter((k) => k.startsWith('errorstat_') && k !== 'errorstat_NOSCRIPT');
        expect({ port, kinds }).toEqual({ port, kinds: [] });
      }
      const commands = await infoOfMasters('commandstats');
      for (const stats of commands.values()) {
        for (const forbidden of ['cmdstat_keys', 'cmdstat_scan', 'cmdstat_flushdb', 'cmdstat_flushall', 'cmdstat_watch']) {
          expect(stats[forbidden]).toBeUndefined();
        }
      }
    });
  });

  describe('items', () => {
    it('append, an items page, pop and truncate are one single-slot script each, in the slot of the session', async () => {
      const store = new RedisStore({ client, prefix: randomPrefix() });
      const now = Date.now();
      const batch = (id: string, items: string[]) => ({
        ...{ id, items, now, idleExpiresAt: now + 60_000, maxLifetime: null, maxItems: null, maxLogBytes: null, dropOldest: false },
      });
      await store.append(batch('warm-up', ['0'])); // scripts loaded on the first master
      const watcher = watch(client);
      let other = 0; // operations that also saw a NOSCRIPT or ioredis connecting to a master
      const keyslot = async (k: string) => Number(await cluster.command(cluster.masters()[0]!.port, 'CLUSTER', 'KEYSLOT', k));
      try {
        for (let i = 0; i < 12; i++) {
          const id = `log-${i}-${randomBytes(3).toString('hex')}`;
          for (const op of [
            () => store.append(batch(id, ['1', '2', '3'])),
            () => store.append({ ...batch(id, ['4']), idempotencyKey: `k${i}`, replaceAfter: 2 }),
            () => store.items({ id, now, limit: 10, order: 'desc' }),
            () => store.pop({ id, now }),
            () => store.truncate({ id, now, before: 2 }),
          ]) {
            watcher.reset();
            await op();
            // ioredis's own connection set-up (INFO, CLUSTER SLOTS) aside, one script and no other command
            const names = watcher.sent.map((c) => c.name).filter((n) => n !== 'info' && n !== 'cluster');
            expect(names.filter((n) => n === 'evalsha')).toHaveLength(1);
            expect(names.filter((n) => n !== 'evalsha' && n !== 'eval'), names.join(' ')).toEqual([]);
            if (watcher.sent.length === 1) expect(watcher.rounds).toBe(1);
            else other++;
            const script = watcher.sent.find((c) => c.name === 'evalsha')!;
            const keys = script.args.slice(2, 2 + Number(script.args[1])).map(String);
            expect(keys.some((k) => k.includes(':i:'))).toBe(true);
            const slots = new Set(await Promise.all([...keys, keys[0]!.replace(':s:', ':i:')].map(keyslot)));
            expect(slots.size).toBe(1);
          }
          expect(await store.get(id, now)).toMatchObject({ version: 4, itemCount: 1, lastSeq: 2 });
        }
        expect(other).toBeLessThanOrEqual(12); // at most the first of each script on each master
      } finally {
        watcher.restore();
        await store.close();
      }
    });
  });

  describe('leases', () => {
    it('acquire, renew, release and every fenced write are one single-slot script each; the lease key and the fence counter in the slot of the session', async () => {
      const store = new RedisStore({ client, prefix: randomPrefix() });
      const now = Date.now();
      const expiry = { idleExpiresAt: now + 60_000, maxLifetime: null };
      const batch = { ...expiry, items: ['1', '2'], maxItems: null, maxLogBytes: null, dropOldest: false };
      const keyslot = async (k: string) => Number(await cluster.command(cluster.masters()[0]!.port, 'CLUSTER', 'KEYSLOT', k));
      const watcher = watch(client);
      try {
        for (let i = 0; i < 8; i++) {
          const id = `leased-${i}-${randomBytes(3).toString('hex')}`;
          const taken = await store.acquire({ id, now, ttl: 60_000 });
          if (!taken.ok) throw new Error('not taken');
          const fence = taken.fence;
          for (const op of [
            () => store.acquire({ id, now, ttl: 60_000 }), // held: refused
            () => store.renew({ id, now, fence, ttl: 60_000 }),
            () => store.put({ id, now, data: '1', ...expiry, fence }),
            () => store.touch({ id, now, ...expiry, fence }),
            () => store.append({ id, now, ...batch, fence }),
            () => store.pop({ id, now, fence }),
            () => store.truncate({ id, now, after: 0, fence }),
            () => store.delete({ id, now, fence }),
            () => store.put({ id, now, data: '1', ...expiry, fence: fence - 1 }).catch((e: Error) => e.name),
            () => store.release({ id, now, fence }),
          ]) {
            watcher.reset();
            await op();
            const names = watcher.sent.map((c) => c.name).filter((n) => n !== 'info' && n !== 'cluster');
            expect(names.filter((n) => n === 'evalsha'), names.join(' ')).toHaveLength(1);
            expect(names.filter((n) => n !== 'evalsha' && n !== 'eval'), names.join(' ')).toEqual([]);
            const script = watcher.sent.find((c) => c.name === 'evalsha')!;
            const keys = script.args.slice(2, 2 + Number(script.args[1])).map(String);
            expect(keys.some((k) => k.includes(':l:'))).toBe(true);
            const tag = keys[0]!.slice(0, keys[0]!.indexOf('}') + 1);
            const slots = new Set(await Promise.all([...keys, `${tag}:s:${id}`, `${tag}:fence`].map(keyslot)));
            expect(slots.size).toBe(1);
          }
        }
      } finally {
        watcher.restore();
        await store.close();
      }
    });
  });

  describe('across processes', () => {
    /** Runs the child (redis-cluster.child.ts) in 8 processes on `job`; each prints `{ versions }`. */
    async function eight(job: Record<string, unknown>): Promise<number[][]> {
      const dir = mkdtempSync(join(tmpdir(), 'agent-sessions-cluster-child-'));
      try {
        // As in redis-processes.test.ts: one CommonJS bundle (ioredis included) run with plain node.
        const outfile = await bundleChild(join(here, 'redis-cluster.child.ts'), dir);
        const ports = cluster.startupNodes.map((n) => n.port);
        return await Promise.all(
          Array.from(
            { length: 8 },
            () =>
              new Promise<number[]>((resolve, reject) =>
                execFile(process.execPath, [outfile, JSON.stringify({ ports, ...job })], { timeout: 60_000 }, (err, stdout, stderr) =>
                  err ? reject(new Error(`child failed: ${stderr || err.message}`)) : resolve((JSON.parse(stdout) as { versions: number[] }).versions),
                ),
              ),
          ),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    it('8 processes × 50 updates of one counter end at exactly 400 with distinct, increasing versions', async () => {
      const prefix = randomPrefix();
      const results = await eight({ prefix, id: 'counter', count: 50 });
      for (const versions of results) {
        expect(versions).toHaveLength(50);
        for (let i = 1; i < versions.length; i++) expect(versions[i]!).toBeGreaterThan(versions[i - 1]!);
      }
      const all = results.flat().sort((a, b) => a - b);
      expect(new Set(all).size).toBe(400);
      const sessions = new SessionManager<{ n: number }>({ store: new RedisStore({ client, prefix }) });
      expect(await sessions.get('counter')).toMatchObject({ data: { n: 400 }, version: 400 });
      await sessions.close();
    }, 60_000);

    it('8 processes × 50 appends of 3 items to one session end with exactly 1,200 items, seqs 1..1,200, each append contiguous, every item once', async () => {
      const prefix = randomPrefix();
      const results = await eight({ prefix, id: 'log', count: 50, mode: 'append' });
      const store = new RedisStore({ client, prefix });
      await checkLog(store, 'log', results);
      await store.close();
    }, 60_000);
  });

  describe('bounded failure', () => {
    it('a Cluster client with default options that reaches no node rejects with StoreUnavailableError within the deadline', async () => {
      const dead = new Cluster([{ host: '127.0.0.1', port: await freePort() }]);
      dead.on('error', () => {});
      const timeout = 500;
      const sessions = new SessionManager({ store: new RedisStore({ client: dead, prefix: randomPrefix(), timeout }) });
      for (const op of [() => sessions.get('a'), () => sessions.put('a', 1), () => sessions.list(), () => sessions.clear('a')]) {
        const start = Date.now();
        const err = await op().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreUnavailableError);
        expect(Date.now() - start).toBeLessThan(2 * timeout + 1000);
        // Never sent: the cause names the deadline, and carries the Cluster's own error.
        const cause = (err as Error).cause as Error;
        expect(cause.name).toBe('TimeoutError');
        expect(cause.message).toMatch(/^Redis was not ready within 500 ms \(status \w+\)$/);
        expect(cause.cause).toBeInstanceOf(Error);
      }
      expect(await sessions.store.ping()).toBe(false);
      await sessions.close();
      dead.disconnect();
    });
  });

  describe('waitForReplicas', () => {
    it('refuses a bad waitForReplicas or waitTimeout with a TypeError naming it', () => {
      expect(() => new RedisStore({ client, waitForReplicas: -1 })).toThrow(/waitForReplicas must be a whole number/);
      expect(() => new RedisStore({ client, waitForReplicas: 1.5 })).toThrow(TypeError);
      expect(() => new RedisStore({ client, waitForReplicas: 1, waitTimeout: 0 })).toThrow(/waitTimeout must be a whole number/);
    });

    it('a write that no replica acknowledges in time rejects as indeterminate, and the master has it', async () => {
      const timeout = 1000;
      const sessions = new SessionManager({
        store: new RedisStore({ client, prefix: randomPrefix(), timeout, waitForReplicas: 1, waitTimeout: 100 }),
      });
      expect(await sessions.put('w', 1)).toMatchObject({ version: 1 });
      await cluster.refresh();
      const replicas = cluster.nodes.filter((n) => n.alive && n.role === 'replica');
      expect(replicas).toHaveLength(3);
      for (const r of replicas) cluster.signal(r, 'SIGSTOP'); // shorter than cluster-node-timeout
      try {
        const start = Date.now();
        const err = await sessions.put('w', 2).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreUnavailableError);
        expect(err).toMatchObject({ indeterminate: true, message: expect.stringMatching(/only 0 of 1 replicas acknowledged/) });
        expect(Date.now() - start).toBeLessThan(2 * timeout + 1000);
        // A write that changes nothing is answered as it is, whatever WAIT says.
        const conflict = await sessions.put('w', 3, { ifVersion: 1 }).catch((e: unknown) => e);
        expect(conflict).toBeInstanceOf(VersionConflictError);
        expect((conflict as VersionConflictError).currentVersion).toBe(2);
      } finally {
        for (const r of replicas) cluster.signal(r, 'SIGCONT');
      }
      // WAIT answering 0 means "not replicated yet", not "not written": the master has it.
      expect(await sessions.get('w')).toMatchObject({ data: 2, version: 2 });
      expect(await sessions.put('w', 4)).toMatchObject({ version: 3 });
      await sessions.close();
    });
  });

  describe('failover', () => {
    const timeout = 1000;

    /**
     * Runs 16 writers over 64 sessions spread across every master, SIGKILLs one master, waits
     * for its replica's promotion (and, when `heal`, for the killed node to come back as a
     * replica), waits for writes to resume on the same client, then reads every session back
     * and counts the acknowledged writes that are gone.
     */
    async function writeThroughFailover(
      label: string,
      { store: storeOptions = {}, lagMs = 0, heal = false }: { store?: { waitForReplicas?: number; waitTimeout?: number }; lagMs?: number; heal?: boolean },
    ) {
      const store = new RedisStore({ client, prefix: randomPrefix(), timeout, ...storeOptions });
      // Bodies of 8 KiB so that a replica frozen for lagMs falls behind by more than the
      // kernel's socket buffers: the rest waits in the master's memory and dies with it.
      const pad = 'x'.repeat(8192);
      const sessions = new SessionManager<{ n: number; pad: string }>({ store });
      const ids = Array.from({ length: 64 }, (_, i) => `fo-${i}`);
      const acked = new Map<string, { n: number; version: number; afterFailure: boolean }[]>(ids.map((id) => [id, []]));
      const failedSinceAck = new Set<string>();
      const tally = { ok: 0, unavailable: 0, indeterminate: 0, redirected: 0, slowestMs: 0, okAfterRecovery: 0 };
      let recovered = false;
      let stop = false;

      const writer = async (w: number) => {
        const mine = ids.filter((_, i) => i % 16 === w);
        try {
          for (let n = 1; !stop; n++) {
            const id = mine[n % mine.length]!;
            const start = Date.now();
            try {
              const s = await sessions.put(id, { n, pad });
              expect(s.data.n).toBe(n); // never a wrong answer
              acked.get(id)!.push({ n, version: s.version, afterFailure: failedSinceAck.delete(id) });
              tally.ok++;
              if (recovered) tally.okAfterRecovery++;
            } catch (err) {
              if (!(err instanceof StoreUnavailableError)) throw err;
              failedSinceAck.add(id);
              tally.unavailable++;
              if (err.indeterminate) tally.indeterminate++;
              // A redirection passed on instead of followed (ioredis giving up after its
              // maxRedirections while the cluster settles is another matter).
              if (/\b(MOVED|ASK) \d+/.test(err.message) && !err.message.includes('Too many Cluster redirections')) tally.redirected++;
              await sleep(20);
            }
            const took = Date.now() - start;
            tally.slowestMs = Math.max(tally.slowestMs, took);
            expect(took).toBeLessThan(2 * timeout + 1000); // never hangs
          }
        } catch (err) {
          stop = true;
          throw err;
        }
      };

      // Beside them, 4 counters each incremented by one `update` loop: a counter ends between
      // its acknowledged increments and those plus the ones that failed as indeterminate.
      const counters = Array.from({ length: 4 }, (_, c) => ({ id: `count-${c}`, acked: 0, indeterminate: 0 }));
      const counter = async (c: (typeof counters)[number]) => {
        try {
          while (!stop) {
            const start = Date.now();
            try {
              await sessions.update(c.id, (cur) => ({ n: (cur?.data.n ?? 0) + 1, pad: '' }));
              c.acked++;
            } catch (err) {
              if (!(err instanceof StoreUnavailableError)) throw err;
              if (err.indeterminate) c.indeterminate++;
              await sleep(20);
            }
            expect(Date.now() - start).toBeLessThan(2 * timeout + 1000);
          }
        } catch (err) {
          stop = true;
          throw err;
        }
      };

      const writers = Promise.all([...Array.from({ length: 16 }, (_, w) => writer(w)), ...counters.map(counter)]);
      writers.catch(() => {});
      await sleep(300);
      await cluster.refresh();
      const victim = cluster.masters()[0]!;
      const successor = cluster.replicasOf(victim)[0]!;
      if (lagMs > 0) {
        cluster.signal(successor, 'SIGSTOP');
        await sleep(lagMs);
      }
      const { master, replica } = await cluster.killMaster(victim);
      expect(replica).toBe(successor);
      if (lagMs > 0) cluster.signal(successor, 'SIGCONT');
      const promotionMs = await cluster.waitForPromotion(replica);
      if (heal) {
        await cluster.restart(master);
        await cluster.waitUntilHealthy();
      }
      recovered = true;
      // Resumed on the same client, in the same process: many writes acknowledged since.
      const deadline = Date.now() + 15_000;
      while (!stop && tally.okAfterRecovery < 500 && Date.now() < deadline) await sleep(50);
      stop = true;
      await writers;
      expect(tally.okAfterRecovery).toBeGreaterThanOrEqual(500);

      // Each session is written by one writer, one write at a time, so its acknowledged writes
      // are in order. An acknowledged write (n, version) is lost when the session now holds an
      // older n, or when a later acknowledged write got a version not above its own (the
      // promoted replica never had it, so versions restarted below it).
      let lostAcknowledged = 0;
      let versionRepeats = 0;
      // A version more than 1 above the previous acknowledged one with no failed write between
      // them: a write applied twice (ioredis resending a script the dead master had run).
      let appliedTwice = 0;
      for (const id of ids) {
        const current = await sessions.get(id);
        const history = acked.get(id)!;
        let lowestLater = Infinity;
        for (let i = history.length - 1; i >= 0; i--) {
          const a = history[i]!;
          if (a.n > (current?.data.n ?? 0) || lowestLater <= a.version) lostAcknowledged++;
          lowestLater = Math.min(lowestLater, a.version);
        }
        for (let i = 1; i < history.length; i++) {
          if (history[i]!.version <= history[i - 1]!.version) versionRepeats++;
          else if (history[i]!.version > history[i - 1]!.version + 1 && !history[i]!.afterFailure) appliedTwice++;
        }
      }
      // Increments beyond acknowledged + indeterminate ones were applied twice; short of the
      // acknowledged ones, lost.
      let counterExtra = 0;
      let counterShort = 0;
      for (const c of counters) {
        const n = (await sessions.get(c.id))?.data.n ?? 0;
        counterExtra += Math.max(0, n - (c.acked + c.indeterminate));
        counterShort += Math.max(0, c.acked - n);
      }
      const counted = counters.reduce((sum, c) => sum + c.acked, 0);
      const figures = {
        label,
        lagMs,
        killed: master.port,
        promoted: replica.port,
        promotionMs,
        ...tally,
        lostAcknowledged,
        versionRepeats,
        appliedTwice,
        updates: counted,
        counterExtra,
        counterShort,
      };
      console.log(`failover ${label}: ${JSON.stringify(figures)}`);
      await sessions.close();
      return { figures, master };
    }

    it('rejects within the deadline during the gap, resumes after promotion, and counts lost writes; with waitForReplicas none is lost', async () => {
      // 1. A plain SIGKILL of a master: on loopback the replica is rarely behind.
      const plain = await writeThroughFailover('without WAIT', {});
      expect(plain.figures.unavailable).toBeGreaterThan(0);
      await cluster.restart(plain.master); // it rejoins as a replica of its successor
      await cluster.waitUntilHealthy();

      // 2. The same with the replica frozen for 700 ms first, as a replica behind on a busy
      // network is: the master acknowledges writes the replica never gets.
      const lagging = await writeThroughFailover('without WAIT, replica lagging', { lagMs: 700 });
      await cluster.restart(lagging.master);
      await cluster.waitUntilHealthy();

      // 3. The same lag with waitForReplicas: a write is acknowledged only once a replica has
      // it, so none is lost. A master left without a replica cannot acknowledge writes, so this
      // run brings the killed node back (as a replica) before counting resumed writes.
      const waited = await writeThroughFailover('with waitForReplicas 1, replica lagging', {
        store: { waitForReplicas: 1, waitTimeout: 200 },
        lagMs: 700,
        heal: true,
      });
      expect(waited.figures.unavailable).toBeGreaterThan(0);
      expect(waited.figures.lostAcknowledged).toBe(0);
      expect(waited.figures.versionRepeats).toBe(0);
      expect(waited.figures.counterShort).toBe(0);
      for (const run of [plain, lagging, waited]) {
        expect(run.figures.redirected).toBe(0);
        expect(run.figures.appliedTwice).toBe(0);
        expect(run.figures.counterExtra).toBe(0); // never a wrong answer from update
      }
    }, 80_000);
  });
});
