/**
 * Outages on redis-servers this file spawns on free ports (never the shared one): stopped,
 * frozen, unreachable, restarted with AOF. Every operation must settle within its deadline
 * with StoreUnavailableError, report `indeterminate` honestly, and work again once Redis
 * is back. Time bounds use a margin of one whole extra `timeout`. Every rejection's `cause` is
 * true when it is made: the deadline that passed, and the client's error only while it has one.
 */
import { createServer, type Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager, StoreUnavailableError } from '../../src/index.js';
import { freePort, spawnRedis, type SpawnedRedis } from '../helpers/redis-server.js';

const url = inject('redisUrl');
const TIMEOUT = 500;
const BOUND = TIMEOUT * 2;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(args: string[] = []): Promise<SpawnedRedis> {
  const s = await spawnRedis(args);
  cleanups.push(() => s.dispose());
  return s;
}

/** Starts a stopped server again (same port and directory); the new process is disposed too. */
async function restart(s: SpawnedRedis): Promise<SpawnedRedis> {
  const again = await s.restart();
  cleanups.push(() => again.dispose());
  return again;
}

function manager(options: ConstructorParameters<typeof RedisStore>[0]) {
  const store = new RedisStore({ timeout: TIMEOUT, prefix: 'outage:', ...options });
  const sessions = new SessionManager({ store });
  cleanups.push(() => sessions.close());
  return { store, sessions };
}

/** Settles `p` and says how long it took. */
async function timed<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const start = performance.now();
  try {
    const value = await p;
    return { value, ms: performance.now() - start };
  } catch (error) {
    return { error, ms: performance.now() - start };
  }
}

/** Polls `check` until it resolves true, for at most `within` ms. */
async function until(check: () => Promise<boolean>, within = 15_000): Promise<void> {
  const end = Date.now() + within;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${within} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every operation of the manager, each once, all in flight together. */
function everyOperation(sessions: SessionManager): Record<string, Promise<unknown>> {
  return {
    get: sessions.get('a'),
    put: sessions.put('a', 'during'),
    update: sessions.update('a', () => 'updated'),
    touch: sessions.touch('a', { ttl: 60_000 }),
    clear: sessions.clear('b'),
    list: sessions.list(),
    meta: sessions.list({ fields: 'meta' }),
  };
}

async function expectAllUnavailable(sessions: SessionManager, indeterminateWrites: boolean | null) {
  const ops = everyOperation(sessions);
  const results = await Promise.all(Object.entries(ops).map(async ([name, p]) => [name, await timed(p)] as const));
  for (const [name, r] of results) {
    expect(r.error, name).toBeInstanceOf(StoreUnavailableError);
    expect(r.ms, name).toBeLessThan(BOUND);
    const err = r.error as StoreUnavailableError;
    if (['get', 'list', 'meta', 'update'].includes(name)) expect(err.indeterminate, name).toBe(false);
    else if (indeterminateWrites !== null) expect(err.indeterminate, name).toBe(indeterminateWrites);
  }
}

/** Every operation of the manager, each once, all in flight together, and how each failed. */
async function rejections(sessions: SessionManager): Promise<[string, StoreUnavailableError][]> {
  const ops = everyOperation(sessions);
  return Promise.all(
    Object.entries(ops).map(async ([name, p]) => {
      const error: unknown = await p.then(() => undefined, (e: unknown) => e);
      expect(error, name).toBeInstanceOf(StoreUnavailableError);
      return [name, error as StoreUnavailableError] as [string, StoreUnavailableError];
    }),
  );
}

/** `err`'s causes, outermost first. */
function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = (err as Error).cause; e !== undefined; e = (e as Error).cause) chain.push(e);
  return chain;
}

/** Whether a connection refusal is anywhere in the message or causes of `err`. */
function refused(err: unknown): boolean {
  return [err, ...causes(err)].some((e) => /ECONNREFUSED/.test(`${(e as Error).message} ${(e as { code?: string }).code}`));
}

/** Asserts that `err` is caused by an error naming the deadline that passed, and returns it. */
function expectDeadlineCause(err: StoreUnavailableError, name: string): Error {
  const cause = err.cause as Error;
  expect(cause, name).toBeInstanceOf(Error);
  expect(cause.name, name).toBe('TimeoutError');
  expect(cause.message, name).toMatch(new RegExp(`within ${TIMEOUT} ms`));
  return cause;
}

/**
 * A manager over a caller's own client with ioredis defaults (offline queue, retries,
 * resending), closed after the test.
 */
function callersManager(redisUrl: string) {
  const own = new Redis(redisUrl).on('error', () => {}); // the caller's own error handling
  cleanups.push(() => own.disconnect());
  return manager({ client: own, prefix: 'theirs:' });
}

describe.skipIf(!url)('RedisStore outages', () => {
  it('with Redis stopped every operation fails within the deadline, unsent; after a restart it works again', async () => {
    const redis = await server();
    const { store, sessions } = manager({ url: redis.url });
    const theirs = callersManager(redis.url);
    await sessions.put('a', 'before');
    await sessions.put('b', 'before');
    await theirs.sessions.put('a', 'before');
    await redis.stop('SIGKILL');
    const ping = await timed(store.ping());
    expect(ping.value).toBe(false);
    expect(ping.ms).toBeLessThan(BOUND);
    expect((await timed(theirs.store.ping())).value).toBe(false);
    // The store knows the connection is gone: nothing is sent, so no write is in doubt.
    await expectAllUnavailable(sessions, false);
    await expectAllUnavailable(theirs.sessions, null);
    const err = await sessions.get('a').catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^Redis .* get of "a"/);

    await restart(redis);
    await until(() => store.ping());
    expect(await sessions.get('a')).toBeUndefined(); // this server keeps nothing across a restart
    expect((await sessions.put('a', 'after')).version).toBe(1);
    expect((await sessions.get('a'))?.data).toBe('after');
    await until(() => theirs.store.ping());
    expect((await theirs.sessions.put('a', 'after')).data).toBe('after');
  });

  it('with Redis frozen (SIGSTOP) every operation fails within the deadline; a sent write is indeterminate and does apply after SIGCONT', async () => {
    const redis = await server();
    const { store, sessions } = manager({ url: redis.url });
    const theirs = callersManager(redis.url); // the deadline holds over ioredis's defaults too
    await sessions.put('a', 'before');
    await theirs.sessions.put('a', 'before');

    redis.signal('SIGSTOP');
    await Promise.all([expectAllUnavailable(sessions, true), expectAllUnavailable(theirs.sessions, true)]);
    expect((await timed(store.ping())).value).toBe(false);
    expect((await timed(theirs.store.ping())).value).toBe(false);
    const put = await timed(sessions.put('a', 'sent while frozen'));
    expect((put.error as StoreUnavailableError).indeterminate).toBe(true);
    expect((put.error as Error).message).toMatch(/may still be applied/);

    redis.signal('SIGCONT');
    await until(() => store.ping());
    // The writes were sent: Redis runs them when it wakes, which is why they were indeterminate.
    const after = await sessions.get('a');
    expect(after?.version).toBeGreaterThan(1);
    expect(after?.data).toBe('sent while frozen');
    expect((await sessions.put('c', 1)).version).toBe(1);
    expect((await theirs.sessions.put('c', 1)).version).toBe(1);
  });

  it('with Redis unreachable (refused, or accepting and never answering) operations fail within the deadline and ping is false', async () => {
    const refused = manager({ url: `redis://127.0.0.1:${await freePort()}` });
    const silent: Server = createServer(() => {}); // accepts connections, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => silent.close(resolve)));
    const port = (silent.address() as { port: number }).port;
    const mute = manager({ url: `redis://127.0.0.1:${port}` });
    silent.on('connection', (socket) => cleanups.push(() => socket.destroy()));
    for (const { store, sessions } of [refused, mute]) {
      const ping = await timed(store.ping());
      expect(ping.value).toBe(false);
      expect(ping.ms).toBeLessThan(BOUND);
      await expectAllUnavailable(sessions, false);
      await expect(sessions.get('a')).rejects.toThrow(/was not ready \(status \w+.*\) within 500 ms for get of "a"/);
    }
    const closing = await timed(mute.store.close());
    expect(closing.ms).toBeLessThan(BOUND);
    const closed = await mute.sessions.get('a').catch((e: unknown) => e);
    expect(closed).toBeInstanceOf(StoreUnavailableError);
    expect((closed as Error).message).toMatch(/closed/);
    expect(((closed as Error).cause as Error).message).toBe('RedisStore.close() was called');
  });

  it('during a freeze every rejection is caused by an error naming the deadline, for a store given a client or a url', async () => {
    const redis = await server();
    const ours = manager({ url: redis.url });
    const theirs = callersManager(redis.url);
    await ours.sessions.put('a', 'before');
    await theirs.sessions.put('a', 'before');

    redis.signal('SIGSTOP');
    const failed = await Promise.all([rejections(ours.sessions), rejections(theirs.sessions)]);
    for (const [name, err] of failed.flat()) {
      const deadline = expectDeadlineCause(err, name);
      expect(deadline.message, name).toMatch(/^no reply from Redis within 500 ms/);
      // Both clients are connected: Redis is silent, and no client error is true now.
      expect(deadline.cause, name).toBeUndefined();
    }
  });

  it('while Redis is down the deadline error carries the refusal; once Redis is back and then frozen, no rejection carries it', async () => {
    const redis = await server();
    const ours = manager({ url: redis.url });
    const theirs = callersManager(redis.url);
    await ours.sessions.put('a', 'before');
    await theirs.sessions.put('a', 'before');

    await redis.stop('SIGKILL');
    for (const { sessions } of [ours, theirs]) {
      // The first reconnection attempt is refused within a few ms: from then on the cause says so.
      await until(async () => refused(await sessions.get('a').catch((e: unknown) => e)));
      for (const [name, err] of await rejections(sessions)) {
        const deadline = expectDeadlineCause(err, name);
        expect(deadline.message, name).toMatch(/^Redis was not ready within 500 ms \(status \w+\)$/);
        expect((deadline.cause as { code?: string }).code, name).toBe('ECONNREFUSED');
      }
    }

    const again = await restart(redis);
    await until(() => ours.store.ping());
    await until(() => theirs.store.ping());
    again.signal('SIGSTOP');
    const failed = await Promise.all([rejections(ours.sessions), rejections(theirs.sessions)]);
    for (const [name, err] of failed.flat()) {
      expectDeadlineCause(err, name);
      expect(refused(err), name).toBe(false);
    }
  });

  it("a caller's client with no error listener of its own still logs its errors as ioredis does", async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    cleanups.push(() => logged.mockRestore());
    const own = new Redis(`redis://127.0.0.1:${await freePort()}`, { retryStrategy: () => 50 });
    cleanups.push(() => own.disconnect());
    const { sessions } = manager({ client: own });
    const err = await sessions.get('a').catch((e: unknown) => e);
    expect((causes(err)[1] as { code?: string }).code).toBe('ECONNREFUSED');
    expect(logged).toHaveBeenCalledWith('[ioredis] Unhandled error event:', expect.stringContaining('ECONNREFUSED'));
  });

  it('keeps every acknowledged write across SIGKILL and restart with appendfsync always', async () => {
    const redis = await server(['--appendonly', 'yes', '--appendfsync', 'always']);
    const probe = new Redis(redis.url);
    expect(await probe.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
    expect(await probe.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    probe.disconnect();
    const { store, sessions } = manager({ url: redis.url });
    const acked = new Map<string, number>();
    const failures = new Map<string, StoreUnavailableError>();
    let stop = false;
    const writers = Array.from({ length: 16 }, async (_, i) => {
      const id = `w${i}`;
      for (let n = 0; !stop; n++) {
        try {
          const s = await sessions.put(id, n, { ttl: 3_600_000 });
          acked.set(id, s.version);
        } catch (err) {
          expect(err).toBeInstanceOf(StoreUnavailableError);
          failures.set(id, err as StoreUnavailableError);
          return;
        }
      }
    });
    await until(async () => acked.size === 16 && [...acked.values()].every((v) => v >= 20), 10_000);
    await redis.stop('SIGKILL');
    stop = true;
    await Promise.all(writers);

    await restart(redis);
    await until(() => store.ping());
    for (const [id, version] of acked) {
      const s = await sessions.get(id);
      const failure = failures.get(id);
      // At most the one write in flight at the kill may have landed, and only if it was in doubt.
      const extra = failure?.indeterminate ? 1 : 0;
      expect(s?.version, id).toBeGreaterThanOrEqual(version);
      expect(s?.version, id).toBeLessThanOrEqual(version + extra);
      expect(s?.data, id).toBe(s!.version - 1);
    }
    const listed = await sessions.list({ fields: 'meta' });
    expect(listed.sessions.map((s) => s.id).sort()).toEqual([...acked.keys()].sort());
  });
});
