import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { LruStore } from '../adapters/lru.js';
import {
  InvalidArgumentError,
  MemoryStore,
  SessionError,
  SessionManager,
  ValidationError,
  VersionConflictError,
  type SessionStore,
} from '../src/index.js';
import { EARLIEST_TIME, isoTime, LATEST_TIME, MAX_DATE, timeText } from '../src/iso-time.js';
import { clearSessionText, getSessionText, putSessionText } from '../src/session-text.js';
import { UPDATE_PATIENCE } from '../src/manager.js';

describe('SessionManager options', () => {
  it('refuses bad options at construction with a TypeError naming the option', () => {
    expect(() => new SessionManager({ ttl: -1 })).toThrow(/^ttl must be a positive/);
    expect(() => new SessionManager({ maxLifetime: 0 })).toThrow(/^maxLifetime must be/);
    expect(() => new SessionManager({ maxBytes: NaN })).toThrow(/^maxBytes must be/);
    expect(() => new SessionManager({ schema: {} as never })).toThrow(/^schema must be a Standard Schema/);
    expect(() => new SessionManager({ now: 5 as never })).toThrow(/^now must be a function/);
    expect(() => new MemoryStore({ sweepInterval: -1 })).toThrow(/^sweepInterval must be/);
    for (const make of [() => new SessionManager({ ttl: -1 }), () => new MemoryStore({ now: 1 as never })]) {
      expect(make).toThrow(TypeError);
    }
  });

  it('uses a MemoryStore by default', () => {
    expect(new SessionManager().store).toBeInstanceOf(MemoryStore);
  });

  it('validates data with a zod schema through Standard Schema', async () => {
    const sessions = new SessionManager({ schema: z.object({ messages: z.array(z.string()) }) });
    await sessions.put('ok', { messages: ['hi'] });
    const err = await sessions.put('bad', { messages: [1] } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]?.path).toEqual(['messages', 0]);
    expect((err as ValidationError).message).toMatch(/^data does not match the schema at messages\.0/);
    expect(await sessions.get('bad')).toBeUndefined();
  });

  it('gives every error a stable code and HTTP status', async () => {
    const sessions = new SessionManager();
    await sessions.put('a', 1);
    const err = (await sessions.put('a', 2, { ifVersion: 0 }).catch((e: unknown) => e)) as VersionConflictError;
    expect(err).toBeInstanceOf(SessionError);
    expect([err.name, err.code, err.status, err.currentVersion]).toEqual(['VersionConflictError', 'version_conflict', 412, 1]);
    expect(err.message).toBe('session "a" already exists (version 1); ifVersion 0 creates only');
  });

  it('returns the value passed to put as data, without copying it', async () => {
    const sessions = new SessionManager();
    const data = { a: 1 };
    expect((await sessions.put('same', data)).data).toBe(data);
  });

  it('formats every timestamp exactly as Date#toISOString', async () => {
    let clock = 0;
    const sessions = new SessionManager({ now: () => clock });
    const samples = [0, 1, 999, 86_399_999, 86_400_000, Date.now(), 253_402_300_799_999, -62_167_219_200_000, 1.5];
    for (let i = 0; i < 500; i++) samples.push(Math.floor(Math.random() * 253_402_300_800_000));
    for (const ms of samples) {
      clock = ms;
      expect((await sessions.put('t', 1)).updatedAt).toBe(new Date(ms).toISOString());
    }
  });

  it('the session clear returns behaves as a plain object, its data parsed on first read', async () => {
    const sessions = new SessionManager();
    await sessions.put('c', { list: [1] });
    const removed = (await sessions.clear('c'))!;
    expect(JSON.parse(JSON.stringify(removed))).toMatchObject({ id: 'c', data: { list: [1] }, version: 1 });
    expect(structuredClone(removed).data).toEqual({ list: [1] });
    expect({ ...removed }.data).toEqual({ list: [1] });
    (removed.data as { list: number[] }).list.push(2);
    expect(removed.data).toEqual({ list: [1, 2] });
    removed.data = 'mine';
    expect(removed.data).toBe('mine');
    await sessions.put('d', 1);
    const other = (await sessions.clear('d'))!;
    other.data = 5; // assigning before any read
    expect(other).toMatchObject({ id: 'd', data: 5 });
  });

  it('stores plain data even when Object.prototype has an enumerable property added', async () => {
    const sessions = new SessionManager();
    const proto = Object.prototype as Record<string, unknown>;
    proto.injected = () => 'x';
    try {
      await sessions.put('p', { a: { b: 1 } });
    } finally {
      delete proto.injected;
    }
    expect((await sessions.get('p'))?.data).toEqual({ a: { b: 1 } });
  });

  it('the JSON text the HTTP layer sends is exactly JSON.stringify of the session', async () => {
    const sessions = new SessionManager<unknown>({ maxLifetime: 60_000 });
    for (const [i, data] of [{ a: [1, 'ü', null] }, 'x"y\\z', 0, null, []].entries()) {
      const written = await putSessionText(sessions, `id-${i}`, data, i % 2 ? { ttl: 1000 } : {});
      const session = await sessions.get(`id-${i}`);
      expect(written.json).toBe(JSON.stringify(session));
      expect((await getSessionText(sessions, `id-${i}`))?.json).toBe(JSON.stringify(session));
      expect(written.version).toBe(session?.version);
      const removed = await clearSessionText(sessions, `id-${i}`);
      expect(removed).toEqual({ version: session?.version, json: JSON.stringify(session) });
    }
    const noExpiry = new SessionManager();
    await noExpiry.put('n', 1);
    expect((await getSessionText(noExpiry, 'n'))?.json).toBe(JSON.stringify(await noExpiry.get('n')));
    expect(await getSessionText(noExpiry, 'missing')).toBeUndefined();
    expect(await clearSessionText(noExpiry, 'missing')).toBeUndefined();
    await expect(clearSessionText(noExpiry, 'n', { ifVersion: 7 })).rejects.toThrow(VersionConflictError);
    await expect(getSessionText({} as SessionManager, 'n')).rejects.toThrow(TypeError);
  });
});

describe('isoTime and timeText', () => {
  it('isoTime is Date#toISOString for every time a Date can hold, edges included', () => {
    const edges = [0, -0, 1, -1, 0.5, -0.5, 1.999, 999, 1000, 86_399_999, 86_400_000, -86_400_001, 951_782_400_000,
      253_402_300_799_999, 253_402_300_800_000, -62_198_755_200_000, MAX_DATE, -MAX_DATE, MAX_DATE - 1];
    for (let i = 0; i < 2000; i++) edges.push(Math.floor((Math.random() * 2 - 1) * MAX_DATE), Math.random() * 4e12);
    for (const ms of edges) expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it('timeText never throws: past the Date range it reads as the nearest end, NaN as the earliest', () => {
    expect(timeText(1e308)).toBe('9999-12-31T23:59:59.999Z');
    expect(timeText(MAX_DATE)).toBe('9999-12-31T23:59:59.999Z');
    expect(timeText(Infinity)).toBe('9999-12-31T23:59:59.999Z');
    expect(timeText(-1e308)).toBe(new Date(EARLIEST_TIME).toISOString());
    expect(timeText(NaN)).toBe('0000-01-01T00:00:00.000Z');
    expect(timeText(12_345)).toBe(new Date(12_345).toISOString());
  });
});

describe('durations a Date cannot hold', () => {
  const T0 = Date.UTC(2026, 0, 1);

  it('a ttl that puts expiresAt past year 9999 is an InvalidArgumentError, and nothing is stored', async () => {
    for (const store of [new MemoryStore({ now: () => T0 }), new LruStore({ now: () => T0 })]) {
      const sessions = new SessionManager({ store, now: () => T0 });
      for (const ttl of [1e308, MAX_DATE, LATEST_TIME - T0 + 1]) {
        await expect(sessions.put('x', 1, { ttl })).rejects.toThrow(InvalidArgumentError);
        await expect(sessions.update('x', () => 1, { ttl })).rejects.toThrow(InvalidArgumentError);
      }
      await sessions.put('y', 1);
      await expect(sessions.touch('y', { ttl: LATEST_TIME - T0 + 1 })).rejects.toThrow(/^ttl .* is past the latest date/);
      expect(await sessions.get('x')).toBeUndefined();
      expect((await sessions.list()).sessions.map((s) => s.id)).toEqual(['y']);
      const edge = await sessions.put('x', 1, { ttl: LATEST_TIME - T0 });
      expect(edge.expiresAt).toBe('9999-12-31T23:59:59.999Z');
      await sessions.close();
    }
  });

  it('ttl and maxLifetime options a Date cannot hold are TypeErrors at construction', () => {
    const now = () => T0;
    expect(() => new SessionManager({ now, ttl: 1e308 })).toThrow(/^ttl must be a positive number of milliseconds, at most/);
    expect(() => new SessionManager({ now, ttl: LATEST_TIME - T0 + 1 })).toThrow(TypeError);
    expect(() => new SessionManager({ now, maxLifetime: LATEST_TIME - T0 + 1 })).toThrow(/^maxLifetime .* past the latest date/);
    expect(() => new SessionManager({ now: () => NaN })).toThrow(/^now\(\) must return ms since epoch/);
  });

  it('a stored time no Date can hold never makes get, list or clear throw', async () => {
    const store = new MemoryStore();
    await store.put({ id: 'far', data: '1', now: T0, idleExpiresAt: 1e308, maxLifetime: null });
    await store.put({ id: 'nan', data: '2', now: NaN, idleExpiresAt: null, maxLifetime: null });
    const sessions = new SessionManager({ store, now: () => T0 });
    expect((await sessions.get('far'))?.expiresAt).toBe('9999-12-31T23:59:59.999Z');
    expect((await sessions.get('nan'))?.createdAt).toBe('0000-01-01T00:00:00.000Z');
    expect((await sessions.list()).sessions.map((s) => s.id)).toEqual(['far', 'nan']);
    expect((await sessions.list({ fields: 'meta' })).sessions).toHaveLength(2);
    expect((await sessions.clear('far'))?.data).toBe(1);
    expect((await clearSessionText(sessions, 'nan'))?.version).toBe(1);
  });

  /** Numbers a hostile or careless caller passes: zeros, tiny, huge, not numbers at all. */
  const extreme = fc.oneof(
    fc.constantFrom(0, -0, Number.MIN_VALUE, 1e-9, 0.5, 1.5, -1, 1, 2, 1000, 2 ** 31 - 1, 2 ** 31, 2 ** 24, 2 ** 24 + 1),
    fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity),
    fc.constantFrom(MAX_DATE, MAX_DATE - T0, LATEST_TIME - T0, LATEST_TIME - T0 + 1, LATEST_TIME - T0 - 1),
    fc.integer({ min: -100_000, max: 100_000 }),
    fc.double(),
    fc.constant(undefined),
  );

  it('extreme numbers in every numeric option: a typed error before anything is stored, or success after which every read works', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          store: fc.constantFrom('memory', 'lru'),
          sweepInterval: extreme,
          max: extreme,
          storeMaxBytes: extreme,
          ttl: extreme,
          maxLifetime: extreme,
          maxBytes: extreme,
          callTtl: extreme,
          ifVersion: extreme,
          retries: extreme,
          limit: extreme,
          touchTtl: extreme,
        }),
        async (o) => {
          const now = () => T0;
          let store: SessionStore;
          let sessions: SessionManager;
          try {
            store =
              o.store === 'memory'
                ? new MemoryStore({ now, sweepInterval: o.sweepInterval })
                : new LruStore({ now, sweepInterval: o.sweepInterval, max: o.max, maxBytes: o.storeMaxBytes });
          } catch (err) {
            expect(err).toBeInstanceOf(TypeError);
            return;
          }
          try {
            sessions = new SessionManager({ store, now, ttl: o.ttl, maxLifetime: o.maxLifetime, maxBytes: o.maxBytes });
          } catch (err) {
            expect(err).toBeInstanceOf(TypeError);
            await store.close();
            return;
          }
          const refused = async (call: () => Promise<unknown>) =>
            call().then(
              () => false,
              (err: unknown) => {
                expect(err, String(err)).toBeInstanceOf(SessionError);
                return true;
              },
            );
          if (await refused(() => sessions.put('p', { n: 1 }, { ttl: o.callTtl, ifVersion: o.ifVersion }))) {
            expect(await sessions.get('p')).toBeUndefined();
          }
          if (await refused(() => sessions.update('u', () => ({ n: 2 }), { ttl: o.callTtl, retries: o.retries }))) {
            expect(await sessions.get('u')).toBeUndefined();
          }
          await refused(() => sessions.touch('p', { ttl: o.touchTtl }));
          await refused(() => sessions.list({ limit: o.limit }));
          // Whatever was stored, every read works.
          for (const id of ['p', 'u']) {
            const got = await sessions.get(id);
            if (got !== undefined) expect(new Date(got.expiresAt ?? got.createdAt).getTime()).not.toBeNaN();
          }
          const listed = (await sessions.list()).sessions.map((s) => s.id);
          expect((await sessions.list({ fields: 'meta' })).sessions.map((s) => s.id)).toEqual(listed);
          for (const id of listed) expect((await sessions.clear(id))?.id).toBe(id);
          await sessions.close();
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('update under contention', () => {
  const stores = { MemoryStore: () => new MemoryStore(), LruStore: () => new LruStore() };

  for (const [name, make] of Object.entries(stores)) {
    it(`1,000 concurrent updates of one counter end at exactly 1,000 (${name}), with an fn that awaits too`, async () => {
      for (const slow of [false, true]) {
        const sessions = new SessionManager<number>({ store: make() });
        const bump = async (cur: { data: number } | undefined) => {
          if (slow) await new Promise((r) => setImmediate(r));
          return (cur?.data ?? 0) + 1;
        };
        const results = await Promise.all(Array.from({ length: 1000 }, () => sessions.update('counter', bump)));
        expect((await sessions.get('counter'))?.data).toBe(1000);
        expect(new Set(results.map((s) => s.version)).size).toBe(1000);
        await sessions.close();
      }
    });
  }

  it('two managers over one store (as two processes) each updating 300 times end at 600', async () => {
    const store = new MemoryStore();
    const [a, b] = [new SessionManager<number>({ store }), new SessionManager<number>({ store })];
    const bump = async (cur: { data: number } | undefined) => {
      await new Promise((r) => setImmediate(r));
      return (cur?.data ?? 0) + 1;
    };
    const runs = [a, b].flatMap((m) => Array.from({ length: 300 }, () => m.update('shared', bump)));
    await Promise.all(runs);
    expect((await a.get('shared'))?.data).toBe(600);
  });

  it('names a hostile value in the message without throwing anything but the typed error', async () => {
    const sessions = new SessionManager();
    const hostile = JSON.parse('{"toString":1}') as number;
    await expect(sessions.put('h', 1, { ttl: hostile })).rejects.toThrow(/^ttl must be .*; got "\[object\]"$/);
    await expect(sessions.list({ limit: hostile })).rejects.toThrow(InvalidArgumentError);
    await expect(sessions.put('h', 1, { ifVersion: hostile })).rejects.toThrow(InvalidArgumentError);
  });

  it('refuses a malformed ttl or retries before fn runs', async () => {
    const sessions = new SessionManager<number>();
    let calls = 0;
    for (const options of [{ ttl: -1 }, { ttl: NaN }, { retries: -1 }, { retries: 0.5 }]) {
      await expect(sessions.update('r', () => ++calls, options)).rejects.toThrow(InvalidArgumentError);
    }
    expect(calls).toBe(0);
  });

  it('an explicit retries bound still gives up under contention: retries 0 fails on the first conflict', async () => {
    const store = new MemoryStore();
    const [a, b] = [new SessionManager<number>({ store }), new SessionManager<number>({ store })];
    await a.put('c', 0);
    let calls = 0;
    const err = await a
      .update('c', async (cur) => {
        calls++;
        await b.put('c', 100); // another process writes in between
        return (cur?.data ?? 0) + 1;
      }, { retries: 0 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionConflictError);
    expect(calls).toBe(1);
    expect((await a.get('c'))?.data).toBe(100);
  });

  it('without retries, update gives up once the patience has passed by the manager clock', async () => {
    let clock = Date.UTC(2026, 0, 1);
    const store = new MemoryStore({ now: () => clock });
    const a = new SessionManager<number>({ store, now: () => clock });
    const b = new SessionManager<number>({ store, now: () => clock });
    let calls = 0;
    const err = await a
      .update('p', async (cur) => {
        calls++;
        await b.put('p', calls); // always a conflict
        clock += UPDATE_PATIENCE / 4;
        return (cur?.data ?? 0) + 1;
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionConflictError);
    expect(calls).toBe(4);
  });

  it('a failing fn does not stall the updates of its id queued after it', async () => {
    const sessions = new SessionManager<number>();
    const failing = sessions.update('q', () => {
      throw new Error('boom');
    });
    const next = sessions.update('q', (cur) => (cur?.data ?? 0) + 1);
    await expect(failing).rejects.toThrow('boom');
    expect((await next).data).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(await sessions.update('q', (cur) => (cur?.data ?? 0) + 1)).toMatchObject({ data: 2, version: 2 });
  });
});
