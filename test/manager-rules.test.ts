/**
 * The manager's own rules, tested once over a MemoryStore (the conformance suite checks the
 * stores): identifiers, JSON, schema, sizes, copies, ttl and maxLifetime arithmetic, cursors,
 * argument checks, and update's retries.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  InvalidIdentifierError,
  MemoryStore,
  PayloadTooLargeError,
  SessionManager,
  ValidationError,
  VersionConflictError,
  type SessionManagerOptions,
  type SessionStore,
} from '../src/index.js';

let clock = 0;
const tick = (ms: number) => void (clock += ms);
const open: SessionManager<any>[] = [];

function setup<T = any>(options: Omit<SessionManagerOptions<T>, 'store' | 'now'> = {}, store: SessionStore = new MemoryStore({ now: () => clock })) {
  clock = Date.now();
  const sessions = new SessionManager<T>({ ...options, store, now: () => clock });
  open.push(sessions);
  return sessions;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

/** A MemoryStore that records the name of every method called on it. */
function recording(): { store: SessionStore; calls: string[] } {
  const inner = new MemoryStore();
  const calls: string[] = [];
  const store = Object.fromEntries(
    (['get', 'put', 'touch', 'delete', 'list', 'ping', 'close'] as const).map((name) => [
      name,
      (...args: never[]) => {
        if (name !== 'close') calls.push(name);
        return (inner[name] as (...a: never[]) => unknown).apply(inner, args);
      },
    ]),
  ) as unknown as SessionStore;
  return { store, calls };
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('identifiers', () => {
  const good = ['0b3f2c1e-8d4a-4c2b-9f1e-7a6b5c4d3e2f', '01ARZ3NDEKTSV4RRFFQ69G5FAV', 'user-42:thread-7', 'ada.lovelace@example.org', 'a', '.a', 'a..b', '~_-.:@', 'x'.repeat(256)];
  const bad: unknown[] = ['', 'x'.repeat(257), 'a b', 'a/b', '.', '..', '...', 'é', '%2F', 'a\u0000b', 'a*', 'a?', '[a]', 'a\\b', 42, null, undefined];

  it('accepts UUIDs, ULIDs, user-42:thread-7, e-mail addresses and 256 characters', async () => {
    const sessions = setup();
    for (const id of good) {
      await sessions.put(id, { id });
      expect((await sessions.get(id))?.data).toEqual({ id });
    }
  });

  it('refuses anything else with InvalidIdentifierError before touching the store', async () => {
    const { store, calls } = recording();
    const sessions = setup({}, store);
    for (const id of bad) {
      const attempts = [
        () => sessions.get(id as string),
        () => sessions.put(id as string, 1),
        () => sessions.clear(id as string),
        () => sessions.touch(id as string),
        () => sessions.update(id as string, () => 1),
      ];
      for (const attempt of attempts) await expect(attempt()).rejects.toBeInstanceOf(InvalidIdentifierError);
    }
    await expect(sessions.get('a b')).rejects.toThrow(/A–Z a–z 0–9/);
    expect(calls).toEqual([]);
  });
});

describe('data', () => {
  it('round-trips JSON values of every kind', async () => {
    const sessions = setup();
    const values = [null, 0, -1.5, 1e308, true, false, '', 'ünïcødé 🦜 "quoted" \\ \n', [], {}, [1, [2, [3]]], { a: { b: { c: [null, 'x'] } } }];
    for (const [i, value] of values.entries()) {
      await sessions.put(`v${i}`, value);
      expect((await sessions.get(`v${i}`))?.data).toEqual(value);
    }
  });

  it('keeps __proto__ and constructor keys as plain data, never as a prototype', async () => {
    const sessions = setup();
    const data = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    await sessions.put('proto', data);
    const back = (await sessions.get('proto'))!.data as Record<string, unknown>;
    expect(Object.keys(back).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('drops undefined object properties, as JSON does', async () => {
    const sessions = setup();
    await sessions.put('u', { a: 1, b: undefined });
    expect(Object.keys((await sessions.get('u'))!.data as object)).toEqual(['a']);
  });

  it('refuses values that are not JSON with ValidationError, storing nothing and keeping the previous value', async () => {
    const { store, calls } = recording();
    const sessions = setup({}, store);
    await sessions.put('keep', { ok: true });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const bad: unknown[] = [
      undefined, () => 1, Symbol('s'), 10n, NaN, Infinity, -Infinity, cycle, new Date(), new Map(),
      { nested: { fn: () => 1 } }, [1, undefined], [1, , 3], { n: NaN }, deep, { toJSON: () => 'x' },
    ];
    calls.length = 0;
    for (const value of bad) {
      await expect(sessions.put('keep', value)).rejects.toBeInstanceOf(ValidationError);
      await expect(sessions.put('fresh', value)).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(sessions.put('keep', { n: NaN })).rejects.toThrow(/data\["n"\] is NaN/);
    expect(calls).toEqual([]);
    expect(await sessions.get('keep')).toMatchObject({ data: { ok: true }, version: 1 });
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
    const sessions = setup<{ n: number; checked?: boolean }>({ schema });
    expect((await sessions.put('s', { n: 1 })).data).toEqual({ n: 1, checked: true });
    const err = await sessions.put('s', { n: 'x' } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues).toEqual([{ message: 'n must be a number', path: ['n'] }]);
    expect((await sessions.get('s'))?.version).toBe(1);
  });
});

describe('sizes', () => {
  it('refuses a session over maxBytes with PayloadTooLargeError and keeps the previous one', async () => {
    const sessions = setup({ maxBytes: 1000 });
    // data JSON plus id: '"' + 990 chars + '"' = 992, + 3 = 995 bytes
    await sessions.put('big', 'x'.repeat(990));
    await expect(sessions.put('big', 'x'.repeat(996))).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(sessions.put('big', 'é'.repeat(500))).rejects.toThrow(/bytes as JSON, over maxBytes 1000/);
    expect((await sessions.get('big'))?.data).toBe('x'.repeat(990));
    await expect(sessions.put('other', 'x'.repeat(2000))).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(await sessions.get('other')).toBeUndefined();
  });

  it('refuses a session over the default 1 MiB', async () => {
    const sessions = setup();
    await expect(sessions.put('huge', 'x'.repeat(1024 * 1024))).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(await sessions.get('huge')).toBeUndefined();
  });
});

describe('sessions from records', () => {
  it('turns the store\'s times into ISO 8601: createdAt kept, updatedAt moved, version + 1', async () => {
    const sessions = setup();
    const first = await sessions.put('v', 1);
    expect(first).toEqual({ id: 'v', data: 1, version: 1, createdAt: iso(clock), updatedAt: iso(clock), expiresAt: null, itemCount: 0, lastSeq: 0 });
    tick(1000);
    const second = await sessions.put('v', 2);
    expect(second).toMatchObject({ version: 2, createdAt: first.createdAt, updatedAt: iso(clock) });
    expect(await sessions.get('v')).toEqual(second);
  });

  it('a returned session is the caller\'s own copy in both directions', async () => {
    const sessions = setup();
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
    expect((await sessions.clear('copy'))!.data).toEqual({ list: [1, 2], nested: { a: 1 } });
  });

  it('clear returns the removed session, and undefined when there was none', async () => {
    const sessions = setup();
    const s = await sessions.put('gone', { a: 1 });
    expect(await sessions.clear('gone')).toEqual(s);
    expect(await sessions.clear('gone')).toBeUndefined();
  });

  it('a failed condition is a VersionConflictError carrying the current version (0 for none)', async () => {
    const sessions = setup();
    await sessions.put('c', 'a');
    await sessions.put('c', 'b');
    for (const attempt of [() => sessions.put('c', 'x', { ifVersion: 1 }), () => sessions.put('c', 'x', { ifVersion: 0 }), () => sessions.clear('c', { ifVersion: 1 })]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VersionConflictError);
      expect((err as VersionConflictError).currentVersion).toBe(2);
    }
    const none = await sessions.clear('missing', { ifVersion: 2 }).catch((e: unknown) => e);
    expect((none as VersionConflictError).currentVersion).toBe(0);
    expect((await sessions.put('missing', 1, { ifVersion: 0 })).version).toBe(1);
  });

  it('refuses a malformed ifVersion with InvalidArgumentError', async () => {
    const { store, calls } = recording();
    const sessions = setup({}, store);
    for (const ifVersion of [-1, 1.5, NaN, '1']) {
      await expect(sessions.put('iv', 1, { ifVersion: ifVersion as number })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(sessions.clear('iv', { ifVersion: ifVersion as number })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(calls).toEqual([]);
  });
});

describe('update', () => {
  it('gives up with VersionConflictError after its retries', async () => {
    const sessions = setup();
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
    const sessions = setup();
    const seen: unknown[] = [];
    const s = await sessions.update('new', (cur) => {
      seen.push(cur);
      return 'made';
    });
    expect(seen).toEqual([undefined]);
    expect(s).toMatchObject({ data: 'made', version: 1 });
  });
});

describe('ttl and maxLifetime', () => {
  it('a session with ttl exists until expiresAt and not at it', async () => {
    const sessions = setup({ ttl: 60_000 });
    const s = await sessions.put('t', 1);
    expect(s.expiresAt).toBe(iso(clock + 60_000));
    tick(59_999);
    expect((await sessions.get('t'))?.data).toBe(1);
    tick(1);
    expect(await sessions.get('t')).toBeUndefined();
    expect((await sessions.list()).sessions).toEqual([]);
    expect(await sessions.clear('t')).toBeUndefined();
    expect(await sessions.touch('t')).toBeUndefined();
  });

  it('an expired session is created again at version 1 with a new createdAt', async () => {
    const sessions = setup({ ttl: 1000 });
    await sessions.put('e', 1);
    await sessions.put('e', 2);
    tick(1000);
    expect(await sessions.put('e', 3, { ifVersion: 0 })).toMatchObject({ version: 1, createdAt: iso(clock) });
  });

  it('put renews the idle ttl, and a call\'s ttl wins over the manager\'s', async () => {
    const sessions = setup({ ttl: 10_000 });
    await sessions.put('r', 1);
    tick(8_000);
    await sessions.put('r', 2);
    tick(8_000);
    expect((await sessions.get('r'))?.data).toBe(2);
    const short = await sessions.put('r', 3, { ttl: 500 });
    expect(short.expiresAt).toBe(iso(clock + 500));
    tick(500);
    expect(await sessions.get('r')).toBeUndefined();
  });

  it('touch renews the idle ttl without changing data, version or updatedAt', async () => {
    const sessions = setup({ ttl: 10_000 });
    const s = await sessions.put('touch', { a: 1 });
    tick(9_000);
    const touched = (await sessions.touch('touch'))!;
    expect(touched).toMatchObject({ data: { a: 1 }, version: 1, updatedAt: s.updatedAt, createdAt: s.createdAt });
    expect(touched.expiresAt).toBe(iso(clock + 10_000));
    expect((await sessions.touch('touch', { ttl: 30_000 }))?.expiresAt).toBe(iso(clock + 30_000));
    tick(9_000);
    expect(await sessions.get('touch')).toMatchObject({ version: 1, expiresAt: iso(clock - 9_000 + 30_000) });
    expect(await sessions.touch('missing')).toBeUndefined();
  });

  it('maxLifetime caps expiry however often the session is touched or written', async () => {
    const sessions = setup({ ttl: 10_000, maxLifetime: 25_000 });
    const s = await sessions.put('life', 1);
    const end = iso(Date.parse(s.createdAt) + 25_000);
    for (let i = 0; i < 3; i++) {
      tick(8_000);
      await sessions.touch('life');
    }
    expect((await sessions.get('life'))?.expiresAt).toBe(end);
    expect((await sessions.put('life', 2)).expiresAt).toBe(end);
    tick(1_000);
    expect(await sessions.get('life')).toBeUndefined();
  });

  it('maxLifetime alone sets expiresAt from createdAt', async () => {
    const sessions = setup({ maxLifetime: 5_000 });
    const s = await sessions.put('cap', 1);
    expect(s.expiresAt).toBe(iso(clock + 5_000));
    tick(2_000);
    expect((await sessions.touch('cap'))?.expiresAt).toBe(s.expiresAt);
  });

  it('refuses a negative, zero or non-finite ttl with InvalidArgumentError before touching the store', async () => {
    const { store, calls } = recording();
    const sessions = setup({}, store);
    for (const ttl of [-1, 0, NaN, Infinity, '5']) {
      await expect(sessions.put('bad-ttl', 1, { ttl: ttl as number })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(sessions.touch('bad-ttl', { ttl: ttl as number })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(calls).toEqual([]);
  });
});

describe('list', () => {
  it('pages with limit and an opaque cursor until nextCursor is null', async () => {
    const sessions = setup();
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
    expect((await sessions.list({ limit: 23 })).nextCursor).toBeNull();
    const first = await sessions.list({ prefix: 'p01', limit: 2 });
    const rest = await sessions.list({ prefix: 'p01', limit: 20, cursor: first.nextCursor! });
    expect(rest.sessions.map((s) => s.id)).toEqual(ids.slice(12, 20));
  });

  it('returns 100 sessions by default', async () => {
    const sessions = setup();
    await Promise.all(Array.from({ length: 105 }, (_, i) => sessions.put(`d${String(i).padStart(3, '0')}`, i)));
    const page = await sessions.list();
    expect(page.sessions).toHaveLength(100);
    expect((await sessions.list({ cursor: page.nextCursor! })).sessions).toHaveLength(5);
  });

  it('fields meta lists sessions without data', async () => {
    const sessions = setup({ ttl: 5000 });
    const { data: _, ...meta } = await sessions.put('m', { big: 'x'.repeat(1000) });
    const page = await sessions.list({ fields: 'meta' });
    expect(page.sessions).toEqual([meta]);
    expect('data' in page.sessions[0]!).toBe(false);
  });

  it('refuses limit 0, over 1000 or fractional, a foreign cursor and a bad prefix with InvalidArgumentError before touching the store', async () => {
    const { store, calls } = recording();
    const sessions = setup({}, store);
    const bad = [
      { limit: 0 }, { limit: 1001 }, { limit: 1.5 }, { limit: -3 },
      { cursor: 'x' }, { cursor: '' }, { cursor: 'c1.!!' }, { cursor: 'c1.' },
      { prefix: 'a b' }, { prefix: '*' }, { fields: 'body' as 'meta' },
    ];
    for (const options of bad) await expect(sessions.list(options)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(sessions.list({ cursor: 'nope' })).rejects.toThrow(/nextCursor returned by list/);
    expect(calls).toEqual([]);
  });
});
