/**
 * `agent-sessions/conformance`: the shared conformance suite, every case of the store
 * contract registered with vitest against any `SessionStore`, plus a random-operations test
 * (fast-check) against a simple model. Every store of this package runs it; so can yours
 * (peer dependencies: `vitest`, `fast-check`).
 *
 * @module
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  InvalidIdentifierError,
  PayloadTooLargeError,
  SessionManager,
  ValidationError,
  VersionConflictError,
  type SessionManagerOptions,
  type SessionStore,
} from '../../src/index.js';
import { modelCommands } from './model.js';

/** What the suite hands a store factory. */
export interface StoreContext {
  /** The test's clock (ms since epoch); it starts at the real time and only moves forward. */
  now: () => number;
}

/** How the suite checks that expired sessions stop costing memory without being read. */
export interface SweepHooks {
  /** Removes expired sessions now, as the store's own timer would. */
  purge(store: SessionStore): void | Promise<void>;
  /** How many sessions the store holds, expired ones not yet removed included. */
  count(store: SessionStore): number | Promise<number>;
}

/** Switches and hooks for one store under test. */
export interface SuiteOptions {
  /**
   * Enables the sweep case. Leave out when the backend expires keys by itself (Redis).
   * @defaultValue none: the sweep case is not registered
   */
  sweep?: SweepHooks;
  /** Runs of the random model test. @defaultValue 60 */
  modelRuns?: number;
}

/** A store factory: a fresh, empty store for every case. */
export type StoreFactory = (context: StoreContext) => SessionStore | Promise<SessionStore>;

/**
 * Registers every conformance case for the store that `factory` makes, in a vitest
 * `describe` block named after the store.
 *
 * @param name - the store's name, for the test report
 * @param factory - makes a fresh, empty store for every case (a new key prefix on a shared server)
 * @param options - optional cases and the model test's size
 * @example
 * ```ts
 * // test/my-store.test.ts, run by vitest
 * import { describeStore } from 'agent-sessions/conformance';
 * import { MyStore } from '../src/my-store.js';
 *
 * describeStore('MyStore', ({ now }) => new MyStore({ now }));
 * ```
 */
export function describeStore(name: string, factory: StoreFactory, options: SuiteOptions = {}): void {
  describe(`${name} conformance`, () => {
    const open: SessionManager<any>[] = [];
    let clock = 0;
    const now = () => clock;
    const tick = (ms: number) => {
      clock += ms;
    };

    async function setup<T = any>(managerOptions: Omit<SessionManagerOptions<T>, 'store' | 'now'> = {}) {
      clock = Date.now();
      const store = await factory({ now });
      const sessions = new SessionManager<T>({ ...managerOptions, store, now });
      open.push(sessions);
      return { sessions, store };
    }

    afterEach(async () => {
      await Promise.all(open.splice(0).map((m) => m.close()));
    });

    describe('identifiers', () => {
      const good = [
        '0b3f2c1e-8d4a-4c2b-9f1e-7a6b5c4d3e2f',
        '01ARZ3NDEKTSV4RRFFQ69G5FAV',
        'user-42:thread-7',
        'ada.lovelace@example.org',
        'a',
        '.a',
        'a..b',
        '~_-.:@',
        'x'.repeat(256),
      ];
      const bad: unknown[] = ['', 'x'.repeat(257), 'a b', 'a/b', '.', '..', '...', 'é', '%2F', 'a\u0000b', 'a*', 'a?', '[a]', 'a\\b', 42, null, undefined];

      it('accepts UUIDs, ULIDs, user-42:thread-7, e-mail addresses and 256 characters', async () => {
        const { sessions } = await setup();
        for (const id of good) {
          await sessions.put(id, { id });
          expect((await sessions.get(id))?.data).toEqual({ id });
        }
      });

      it('refuses anything else with InvalidIdentifierError before touching the store', async () => {
        const { sessions } = await setup();
        for (const id of bad) {
          const calls = [
            () => sessions.get(id as string),
            () => sessions.put(id as string, 1),
            () => sessions.clear(id as string),
            () => sessions.touch(id as string),
            () => sessions.update(id as string, () => 1),
          ];
          for (const call of calls) await expect(call()).rejects.toBeInstanceOf(InvalidIdentifierError);
        }
        await expect(sessions.get('a b')).rejects.toThrow(/A–Z a–z 0–9/);
        expect((await sessions.list()).sessions).toEqual([]);
      });
    });

    describe('data', () => {
      it('round-trips JSON values of every kind', async () => {
        const { sessions } = await setup();
        const values = [null, 0, -1.5, 1e308, true, false, '', 'ünïcødé 🦜 "quoted" \\ \n', [], {}, [1, [2, [3]]], { a: { b: { c: [null, 'x'] } } }];
        for (const [i, value] of values.entries()) {
          await sessions.put(`v${i}`, value);
          expect((await sessions.get(`v${i}`))?.data).toEqual(value);
        }
      });

      it('keeps __proto__ and constructor keys as plain data, never as a prototype', async () => {
        const { sessions } = await setup();
        const data = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
        await sessions.put('proto', data);
        const back = (await sessions.get('proto'))!.data as Record<string, unknown>;
        expect(Object.keys(back).sort()).toEqual(['__proto__', 'constructor']);
        expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      });

      it('drops undefined object properties, as JSON does', async () => {
        const { sessions } = await setup();
        await sessions.put('u', { a: 1, b: undefined });
        expect((await sessions.get('u'))?.data).toEqual({ a: 1 });
        expect(Object.keys((await sessions.get('u'))!.data as object)).toEqual(['a']);
      });

      it('refuses values that are not JSON with ValidationError, keeping the previous value', async () => {
        const { sessions } = await setup();
        await sessions.put('keep', { ok: true });
        const cycle: Record<string, unknown> = {};
        cycle.self = cycle;
        let deep: unknown = 1;
        for (let i = 0; i < 10_000; i++) deep = [deep];
        const bad: unknown[] = [
          undefined, () => 1, Symbol('s'), 10n, NaN, Infinity, -Infinity, cycle, new Date(), new Map(),
          { nested: { fn: () => 1 } }, [1, undefined], [1, , 3], { n: NaN }, deep, { toJSON: () => 'x' },
        ];
        for (const value of bad) {
          await expect(sessions.put('keep', value)).rejects.toBeInstanceOf(ValidationError);
          await expect(sessions.put('fresh', value)).rejects.toBeInstanceOf(ValidationError);
        }
        await expect(sessions.put('keep', { n: NaN })).rejects.toThrow(/data\["n"\] is NaN/);
        const kept = await sessions.get('keep');
        expect(kept).toMatchObject({ data: { ok: true }, version: 1 });
        expect(await sessions.get('fresh')).toBeUndefined();
      });

      it('checks data against a Standard Schema and stores its output', async () => {
        const schema = {
          '~standard': {
            version: 1 as const,
            vendor: 'test',
            validate: (v: unknown) =>
              typeof v === 'object' && v !== null && typeof (v as { n?: unknown }).n === 'number'
                ? { value: { n: (v as { n: number }).n, checked: true } }
                : { issues: [{ message: 'n must be a number', path: [{ key: 'n' }] }] },
          },
        };
        const { sessions } = await setup<{ n: number; checked?: boolean }>({ schema });
        expect((await sessions.put('s', { n: 1 })).data).toEqual({ n: 1, checked: true });
        const err = await sessions.put('s', { n: 'x' } as never).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as ValidationError).issues).toEqual([{ message: 'n must be a number', path: ['n'] }]);
        expect((await sessions.get('s'))?.version).toBe(1);
      });
    });

    describe('sizes', () => {
      it('refuses a session over maxBytes with PayloadTooLargeError and keeps the previous one', async () => {
        const { sessions } = await setup({ maxBytes: 1000 });
        const id = 'big';
        // data JSON plus id: '"' + 990 chars + '"' = 992, + 3 = 995 bytes
        await sessions.put(id, 'x'.repeat(990));
        await expect(sessions.put(id, 'x'.repeat(996))).rejects.toBeInstanceOf(PayloadTooLargeError);
        await expect(sessions.put(id, 'é'.repeat(500))).rejects.toThrow(/bytes as JSON, over maxBytes 1000/);
        expect((await sessions.get(id))?.data).toBe('x'.repeat(990));
        await expect(sessions.put('other', 'x'.repeat(2000))).rejects.toBeInstanceOf(PayloadTooLargeError);
        expect(await sessions.get('other')).toBeUndefined();
      });

      it('refuses a session over the default 1 MiB', async () => {
        const { sessions } = await setup();
        await expect(sessions.put('huge', 'x'.repeat(1024 * 1024))).rejects.toBeInstanceOf(PayloadTooLargeError);
        expect(await sessions.get('huge')).toBeUndefined();
      });
    });

    describe('versions and conditions', () => {
      it('creates at version 1 and adds 1 on every put, keeping createdAt', async () => {
        const { sessions } = await setup();
        const first = await sessions.put('v', 1);
        expect(first).toMatchObject({ id: 'v', data: 1, version: 1, expiresAt: null });
        expect(first.createdAt).toBe(new Date(clock).toISOString());
        expect(first.updatedAt).toBe(first.createdAt);
        tick(1000);
        const second = await sessions.put('v', 2);
        expect(second).toMatchObject({ version: 2, createdAt: first.createdAt, updatedAt: new Date(clock).toISOString() });
        expect(await sessions.get('v')).toEqual(second);
      });

      it('put with ifVersion succeeds only on the current version', async () => {
        const { sessions } = await setup();
        await sessions.put('c', 'a');
        expect((await sessions.put('c', 'b', { ifVersion: 1 })).version).toBe(2);
        const err = await sessions.put('c', 'x', { ifVersion: 1 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(VersionConflictError);
        expect((err as VersionConflictError).currentVersion).toBe(2);
        expect((await sessions.get('c'))?.data).toBe('b');
      });

      it('put with ifVersion 0 creates only, and fails when the session exists', async () => {
        const { sessions } = await setup();
        expect((await sessions.put('n', 1, { ifVersion: 0 })).version).toBe(1);
        const err = await sessions.put('n', 2, { ifVersion: 0 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(VersionConflictError);
        expect((err as VersionConflictError).currentVersion).toBe(1);
        expect((await sessions.get('n'))?.data).toBe(1);
      });

      it('put with ifVersion n fails with currentVersion 0 when the session does not exist', async () => {
        const { sessions } = await setup();
        const err = await sessions.put('none', 1, { ifVersion: 3 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(VersionConflictError);
        expect((err as VersionConflictError).currentVersion).toBe(0);
        expect(await sessions.get('none')).toBeUndefined();
      });

      it('of concurrent puts with the same ifVersion exactly one succeeds', async () => {
        const { sessions } = await setup();
        await sessions.put('race', 0);
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => sessions.put('race', i, { ifVersion: 1 })));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(VersionConflictError);
        expect((await sessions.get('race'))?.version).toBe(2);
      });

      it('concurrent unconditional puts never return the same version', async () => {
        const { sessions } = await setup();
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => sessions.put('many', i)));
        const versions = results.map((s) => s.version).sort((a, b) => a - b);
        expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      });

      it('a session created again after clear starts again at version 1', async () => {
        const { sessions } = await setup();
        await sessions.put('again', 1);
        await sessions.put('again', 2);
        await sessions.clear('again');
        tick(5);
        const fresh = await sessions.put('again', 3);
        expect(fresh.version).toBe(1);
        expect(fresh.createdAt).toBe(new Date(clock).toISOString());
      });

      it('refuses a malformed ifVersion with InvalidArgumentError', async () => {
        const { sessions } = await setup();
        for (const ifVersion of [-1, 1.5, NaN, '1']) {
          await expect(sessions.put('iv', 1, { ifVersion: ifVersion as number })).rejects.toBeInstanceOf(InvalidArgumentError);
          await expect(sessions.clear('iv', { ifVersion: ifVersion as number })).rejects.toBeInstanceOf(InvalidArgumentError);
        }
        expect(await sessions.get('iv')).toBeUndefined();
      });
    });

    describe('update', () => {
      it('concurrent updates of one counter lose no increment', async () => {
        const { sessions } = await setup();
        await Promise.all(
          Array.from({ length: 25 }, () =>
            sessions.update('counter', async (cur) => {
              await new Promise((r) => setTimeout(r, Math.random() * 3));
              return ((cur?.data as number | undefined) ?? 0) + 1;
            }, { retries: 100 }),
          ),
        );
        expect(await sessions.get('counter')).toMatchObject({ data: 25, version: 25 });
      });

      it('gives up with VersionConflictError after its retries', async () => {
        const { sessions } = await setup();
        await sessions.put('busy', 0);
        let calls = 0;
        const err = await sessions
          .update('busy', async (cur) => {
            calls++;
            await sessions.put('busy', -1); // somebody else writes in between, every time
            return ((cur?.data as number) ?? 0) + 1;
          }, { retries: 2 })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(VersionConflictError);
        expect(calls).toBe(3);
        expect((await sessions.get('busy'))?.data).toBe(-1);
      });

      it('passes undefined for a missing session and creates it', async () => {
        const { sessions } = await setup();
        const seen: unknown[] = [];
        const s = await sessions.update('new', (cur) => {
          seen.push(cur);
          return 'made';
        });
        expect(seen).toEqual([undefined]);
        expect(s).toMatchObject({ data: 'made', version: 1 });
      });
    });

    describe('copies', () => {
      it('a returned session is the caller\'s own copy in both directions', async () => {
        const { sessions } = await setup();
        const input = { list: [1, 2], nested: { a: 1 } };
        const put = await sessions.put('copy', input);
        input.list.push(3);
        put.data.nested.a = 99;
        const got = (await sessions.get('copy'))!;
        expect(got.data).toEqual({ list: [1, 2], nested: { a: 1 } });
        got.data.list.push(4);
        got.version = 77;
        const listed = (await sessions.list()).sessions[0]!;
        expect(listed).toMatchObject({ data: { list: [1, 2] }, version: 1 });
        listed.data.nested.a = 5;
        expect((await sessions.get('copy'))!.data).toEqual({ list: [1, 2], nested: { a: 1 } });
        const cleared = (await sessions.clear('copy'))!;
        expect(cleared.data).toEqual({ list: [1, 2], nested: { a: 1 } });
      });
    });

    describe('expiry', () => {
      it('a session with ttl exists until expiresAt and not at it', async () => {
        const { sessions } = await setup({ ttl: 60_000 });
        const s = await sessions.put('t', 1);
        expect(s.expiresAt).toBe(new Date(clock + 60_000).toISOString());
        tick(59_999);
        expect((await sessions.get('t'))?.data).toBe(1);
        tick(1);
        expect(await sessions.get('t')).toBeUndefined();
        expect((await sessions.list()).sessions).toEqual([]);
        expect(await sessions.clear('t')).toBeUndefined();
        expect(await sessions.touch('t')).toBeUndefined();
      });

      it('an expired session is created again at version 1 with a new createdAt', async () => {
        const { sessions } = await setup({ ttl: 1000 });
        await sessions.put('e', 1);
        await sessions.put('e', 2);
        tick(1000);
        const again = await sessions.put('e', 3, { ifVersion: 0 });
        expect(again).toMatchObject({ version: 1, createdAt: new Date(clock).toISOString() });
      });

      it('put renews the idle ttl, and a call\'s ttl wins over the manager\'s', async () => {
        const { sessions } = await setup({ ttl: 10_000 });
        await sessions.put('r', 1);
        tick(8_000);
        await sessions.put('r', 2);
        tick(8_000);
        expect((await sessions.get('r'))?.data).toBe(2);
        const short = await sessions.put('r', 3, { ttl: 500 });
        expect(short.expiresAt).toBe(new Date(clock + 500).toISOString());
        tick(500);
        expect(await sessions.get('r')).toBeUndefined();
      });

      it('touch renews the idle ttl without changing data, version or updatedAt', async () => {
        const { sessions } = await setup({ ttl: 10_000 });
        const s = await sessions.put('touch', { a: 1 });
        tick(9_000);
        const touched = (await sessions.touch('touch'))!;
        expect(touched).toMatchObject({ data: { a: 1 }, version: 1, updatedAt: s.updatedAt, createdAt: s.createdAt });
        expect(touched.expiresAt).toBe(new Date(clock + 10_000).toISOString());
        tick(9_000);
        expect(await sessions.get('touch')).toEqual(touched);
        expect(await sessions.touch('missing')).toBeUndefined();
        expect(await sessions.get('missing')).toBeUndefined();
      });

      it('maxLifetime caps expiry however often the session is touched or written', async () => {
        const { sessions } = await setup({ ttl: 10_000, maxLifetime: 25_000 });
        const s = await sessions.put('life', 1);
        const end = new Date(Date.parse(s.createdAt) + 25_000).toISOString();
        for (let i = 0; i < 3; i++) {
          tick(8_000);
          await sessions.touch('life');
        }
        expect((await sessions.get('life'))?.expiresAt).toBe(end);
        const written = await sessions.put('life', 2);
        expect(written.expiresAt).toBe(end);
        tick(1_000);
        expect(await sessions.get('life')).toBeUndefined();
      });

      it('maxLifetime alone sets expiresAt from createdAt', async () => {
        const { sessions } = await setup({ maxLifetime: 5_000 });
        const s = await sessions.put('cap', 1);
        expect(s.expiresAt).toBe(new Date(clock + 5_000).toISOString());
        tick(2_000);
        expect((await sessions.touch('cap'))?.expiresAt).toBe(s.expiresAt);
      });

      it('refuses a negative, zero or non-finite ttl with InvalidArgumentError', async () => {
        const { sessions } = await setup();
        for (const ttl of [-1, 0, NaN, Infinity, '5']) {
          await expect(sessions.put('bad-ttl', 1, { ttl: ttl as number })).rejects.toBeInstanceOf(InvalidArgumentError);
          await expect(sessions.touch('bad-ttl', { ttl: ttl as number })).rejects.toBeInstanceOf(InvalidArgumentError);
        }
        expect(await sessions.get('bad-ttl')).toBeUndefined();
      });

      if (options.sweep) {
        const sweep = options.sweep;
        it('expired sessions stop costing memory without being read', async () => {
          const { sessions, store } = await setup({ ttl: 1000 });
          for (let i = 0; i < 50; i++) await sessions.put(`gone-${i}`, i);
          await sessions.put('stays', 1, { ttl: 60_000 });
          expect(await sweep.count(store)).toBe(51);
          tick(1000);
          await sweep.purge(store);
          expect(await sweep.count(store)).toBe(1);
        });
      }
    });

    describe('list', () => {
      it('orders by id in code-unit order', async () => {
        const { sessions } = await setup();
        const ids = ['b', 'a', 'B', 'A', '0', '9', '-', '.x', ':', '@', '_', '~', 'aa', 'a-', 'a.b', 'Z'];
        for (const id of ids) await sessions.put(id, id);
        const listed = (await sessions.list()).sessions.map((s) => s.id);
        expect(listed).toEqual([...ids].sort());
      });

      it('pages with limit and an opaque cursor until nextCursor is null', async () => {
        const { sessions } = await setup();
        const ids = Array.from({ length: 23 }, (_, i) => `p${String(i).padStart(3, '0')}`);
        for (const id of ids) await sessions.put(id, id);
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await sessions.list({ limit: 5, cursor });
          expect(page.sessions.length).toBeLessThanOrEqual(5);
          seen.push(...page.sessions.map((s) => s.id));
          cursor = page.nextCursor ?? undefined;
          pages++;
        } while (cursor !== undefined);
        expect(seen).toEqual(ids);
        expect(pages).toBe(5);
        const exact = await sessions.list({ limit: 23 });
        expect(exact.nextCursor).toBeNull();
      });

      it('returns 100 sessions by default', async () => {
        const { sessions } = await setup();
        await Promise.all(Array.from({ length: 105 }, (_, i) => sessions.put(`d${String(i).padStart(3, '0')}`, i)));
        const page = await sessions.list();
        expect(page.sessions).toHaveLength(100);
        expect(page.nextCursor).not.toBeNull();
        expect((await sessions.list({ cursor: page.nextCursor! })).sessions).toHaveLength(5);
      });

      it('keeps only ids that start with prefix', async () => {
        const { sessions } = await setup();
        for (const id of ['user-1:a', 'user-1:b', 'user-10:a', 'user-2:a', 'user-1', 'user-', 'a']) await sessions.put(id, id);
        const ids = async (prefix: string, limit = 100) => (await sessions.list({ prefix, limit })).sessions.map((s) => s.id);
        expect(await ids('user-1:')).toEqual(['user-1:a', 'user-1:b']);
        // code-unit order: '0' (0x30) sorts before ':' (0x3a)
        expect(await ids('user-1')).toEqual(['user-1', 'user-10:a', 'user-1:a', 'user-1:b']);
        expect(await ids('nobody')).toEqual([]);
        const first = await sessions.list({ prefix: 'user-1', limit: 2 });
        const rest = await sessions.list({ prefix: 'user-1', limit: 2, cursor: first.nextCursor! });
        expect(rest.sessions.map((s) => s.id)).toEqual(['user-1:a', 'user-1:b']);
        expect(rest.nextCursor).toBeNull();
      });

      it('fields meta lists sessions without data', async () => {
        const { sessions } = await setup({ ttl: 5000 });
        const s = await sessions.put('m', { big: 'x'.repeat(1000) });
        const page = await sessions.list({ fields: 'meta' });
        const { data: _, ...meta } = s;
        expect(page.sessions).toEqual([meta]);
        expect('data' in page.sessions[0]!).toBe(false);
      });

      it('a cursor walk sees every session that existed for the whole walk exactly once, despite concurrent writes', async () => {
        const { sessions } = await setup();
        const stable = Array.from({ length: 60 }, (_, i) => `s${String(i * 2).padStart(3, '0')}`);
        for (const id of stable) await sessions.put(id, 0);
        const seen: string[] = [];
        let cursor: string | undefined;
        let n = 0;
        do {
          const page = await sessions.list({ limit: 7, cursor });
          seen.push(...page.sessions.map((s) => s.id));
          cursor = page.nextCursor ?? undefined;
          // between pages: create, replace, delete others, and rewrite stable ones
          await Promise.all([
            sessions.put(`s${String(n * 2 + 1).padStart(3, '0')}`, n),
            sessions.put(`s${String(120 - n * 2 + 1).padStart(3, '0')}`, n),
            sessions.put('a-before', n),
            sessions.clear(`s${String(n * 2 - 1).padStart(3, '0')}`),
            sessions.put(stable[(n * 5) % stable.length]!, n),
          ]);
          n++;
        } while (cursor !== undefined);
        expect(new Set(seen).size).toBe(seen.length);
        for (const id of stable) expect(seen).toContain(id);
        expect(seen).toEqual([...seen].sort());
      });

      it('refuses limit 0, over 1000 or fractional, a foreign cursor and a bad prefix with InvalidArgumentError', async () => {
        const { sessions } = await setup();
        await sessions.put('x', 1);
        const bad = [
          { limit: 0 }, { limit: 1001 }, { limit: 1.5 }, { limit: -3 },
          { cursor: 'x' }, { cursor: '' }, { cursor: 'c1.!!' }, { cursor: 'c1.' },
          { prefix: 'a b' }, { prefix: '*' }, { fields: 'body' as 'meta' },
        ];
        for (const options of bad) await expect(sessions.list(options)).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(sessions.list({ cursor: 'nope' })).rejects.toThrow(/nextCursor returned by list/);
      });
    });

    describe('clear', () => {
      it('returns the removed session, then it is gone', async () => {
        const { sessions } = await setup();
        const s = await sessions.put('gone', { a: 1 });
        expect(await sessions.clear('gone')).toEqual(s);
        expect(await sessions.get('gone')).toBeUndefined();
        expect(await sessions.clear('gone')).toBeUndefined();
        expect((await sessions.list()).sessions).toEqual([]);
      });

      it('clear with ifVersion removes only that version', async () => {
        const { sessions } = await setup();
        await sessions.put('cv', 1);
        await sessions.put('cv', 2);
        const err = await sessions.clear('cv', { ifVersion: 1 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(VersionConflictError);
        expect((err as VersionConflictError).currentVersion).toBe(2);
        expect((await sessions.clear('cv', { ifVersion: 2 }))?.data).toBe(2);
        const none = await sessions.clear('cv', { ifVersion: 2 }).catch((e: unknown) => e);
        expect(none).toBeInstanceOf(VersionConflictError);
        expect((none as VersionConflictError).currentVersion).toBe(0);
      });
    });

    describe('ping and close', () => {
      it('ping answers true and close resolves', async () => {
        const { sessions, store } = await setup();
        expect(await store.ping()).toBe(true);
        await sessions.close();
      });
    });

    describe('model', () => {
      it('matches a simple model over random operation sequences', async () => {
        await fc.assert(
          fc.asyncProperty(fc.commands(modelCommands(), { maxCommands: 40 }), async (commands) => {
            const { sessions } = await setup({ maxBytes: 300 });
            const model = { clock: now, tick, sessions: new Map() };
            await fc.asyncModelRun(() => ({ model, real: sessions }), commands);
            await sessions.close();
          }),
          { numRuns: options.modelRuns ?? 60 },
        );
      });
    });
  });
}
