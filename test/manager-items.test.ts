/**
 * The manager's item rules, tested once over a MemoryStore (the conformance suite checks the
 * stores): items and sessions as callers see them, argument checks before any store call,
 * limits and onFull, what each refusal of the store becomes, and the HTTP layer's text.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  MemoryStore,
  PayloadTooLargeError,
  SessionManager,
  ValidationError,
  VersionConflictError,
  type SessionManagerOptions,
  type SessionStore,
} from '../src/index.js';
import { getSessionText, itemsText } from '../src/session-text.js';

let clock = 0;
const tick = (ms: number) => void (clock += ms);
const open: SessionManager<any, any>[] = [];
const iso = (ms: number) => new Date(ms).toISOString();

function setup<T = any, I = any>(options: Omit<SessionManagerOptions<T>, 'store' | 'now'> = {}, store: SessionStore = new MemoryStore({ now: () => clock })) {
  clock = Date.now();
  const sessions = new SessionManager<T, I>({ ...options, store, now: () => clock });
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
  const names = ['get', 'put', 'touch', 'delete', 'list', 'append', 'items', 'pop', 'truncate', 'ping', 'close'] as const;
  const store = Object.fromEntries(
    names.map((name) => [
      name,
      (...args: never[]) => {
        if (name !== 'close') calls.push(name);
        return (inner[name] as (...a: never[]) => unknown).apply(inner, args);
      },
    ]),
  ) as unknown as SessionStore;
  return { store, calls };
}

async function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.unreachable('expected a refusal'),
    (err: unknown) => err,
  );
}

describe('items as callers see them', () => {
  it('append creates the session with data null; items, pop and truncate answer copies with ISO times', async () => {
    const sessions = setup<unknown, { n: number }>();
    const created = clock;
    expect(await sessions.append('s', [{ n: 1 }, { n: 2 }])).toEqual({ version: 1, firstSeq: 1, lastSeq: 2, replayed: false });
    tick(1000);
    expect(await sessions.append('s', [{ n: 3 }])).toEqual({ version: 2, firstSeq: 3, lastSeq: 3, replayed: false });
    expect(await sessions.get('s')).toEqual({
      id: 's', data: null, version: 2, createdAt: iso(created), updatedAt: iso(clock), expiresAt: null, itemCount: 3, lastSeq: 3,
    });
    const page = await sessions.items('s', { order: 'desc', limit: 2 });
    expect(page).toEqual({
      items: [{ seq: 3, data: { n: 3 }, createdAt: iso(clock) }, { seq: 2, data: { n: 2 }, createdAt: iso(created) }],
      version: 2,
      hasMore: true,
    });
    page!.items[0]!.data.n = 99;
    expect((await sessions.items('s', { after: 2 }))!.items[0]!.data).toEqual({ n: 3 });
    expect(await sessions.pop('s')).toEqual({ seq: 3, data: { n: 3 }, createdAt: iso(clock) });
    expect(await sessions.truncate('s', { before: 2 })).toEqual({ removed: 1, version: 4 });
    expect(await sessions.items('s')).toEqual({ items: [{ seq: 2, data: { n: 2 }, createdAt: iso(created) }], version: 4, hasMore: false });
  });

  it('every session the manager returns carries itemCount and lastSeq', async () => {
    const sessions = setup();
    await sessions.append('s', ['a', 'b', 'c']);
    await sessions.pop('s');
    const counts = { itemCount: 2, lastSeq: 2 };
    expect(await sessions.put('s', { kept: true })).toMatchObject({ ...counts, version: 3 });
    expect(await sessions.get('s')).toMatchObject(counts);
    expect(await sessions.touch('s', { ttl: 60_000 })).toMatchObject(counts);
    expect((await sessions.list()).sessions).toMatchObject([counts]);
    expect((await sessions.list({ fields: 'meta' })).sessions).toEqual([
      expect.objectContaining({ id: 's', ...counts }),
    ]);
    const text = await getSessionText(sessions, 's');
    expect(JSON.parse(text!.json)).toEqual(await sessions.get('s'));
    expect(text!.json).toBe(JSON.stringify(await sessions.get('s')));
    expect({ ...(await sessions.clear('s')) }).toMatchObject({ ...counts, data: { kept: true } });
    expect(await sessions.items('s')).toBeUndefined();
    expect(await sessions.append('s', ['new life'])).toMatchObject({ firstSeq: 1, lastSeq: 1, version: 1 });
  });

  it('itemsText is the JSON of items() without the version, the stored JSON never parsed', async () => {
    const sessions = setup();
    await sessions.append('s', [{ a: 'ü "q"' }, [1, null], 'x']);
    for (const options of [{}, { order: 'desc' as const, limit: 2 }, { after: 1, before: 3 }]) {
      const page = await sessions.items('s', options);
      const text = await itemsText(sessions, 's', options);
      expect(text).toEqual({ version: page!.version, json: JSON.stringify({ items: page!.items, hasMore: page!.hasMore }) });
    }
    expect(await itemsText(sessions, 'nobody')).toBeUndefined();
  });

  it('a schema validates data only: append creates a session with data null without asking it', async () => {
    const calls: unknown[] = [];
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: (value: unknown) => {
          calls.push(value);
          return typeof value === 'object' && value !== null ? { value } : { issues: [{ message: 'an object' }] };
        },
      },
    };
    const sessions = setup<object>({ schema });
    await sessions.append('s', ['not an object', 1]);
    expect(calls).toEqual([]);
    expect(await sessions.get('s')).toMatchObject({ data: null, itemCount: 2 });
    await expect(sessions.put('s', null as unknown as object)).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('item arguments', () => {
  it('refuses malformed arguments with InvalidArgumentError before calling the store', async () => {
    const { store, calls } = recording();
    const sessions = setup({}, store);
    const bad: [string, () => Promise<unknown>, RegExp][] = [
      ['empty batch', () => sessions.append('s', []), /^items must be an array of 1 to 1000 items; got 0 items/],
      ['1001 items', () => sessions.append('s', Array.from({ length: 1001 }, () => 1)), /got 1001 items/],
      ['not an array', () => sessions.append('s', 'abc' as never), /^items must be an array/],
      ['ifVersion', () => sessions.append('s', [1], { ifVersion: -1 }), /^ifVersion must be a whole number ≥ 0/],
      ['replaceAfter', () => sessions.append('s', [1], { replaceAfter: 1.5 }), /^replaceAfter must be a whole number ≥ 0/],
      ['empty key', () => sessions.append('s', [1], { idempotencyKey: '' }), /^idempotencyKey must be 1–256 characters from ! to ~/],
      ['key with a space', () => sessions.append('s', [1], { idempotencyKey: 'a b' }), /^idempotencyKey/],
      ['key too long', () => sessions.append('s', [1], { idempotencyKey: 'k'.repeat(257) }), /^idempotencyKey/],
      ['key not ASCII', () => sessions.append('s', [1], { idempotencyKey: 'clé' }), /^idempotencyKey/],
      ['key not a string', () => sessions.append('s', [1], { idempotencyKey: 7 as never }), /^idempotencyKey/],
      ['ttl', () => sessions.append('s', [1], { ttl: 0 }), /^ttl must be a positive number/],
      ['limit 0', () => sessions.items('s', { limit: 0 }), /^limit must be a whole number from 1 to 1000; got "0"/],
      ['limit 1001', () => sessions.items('s', { limit: 1001 }), /^limit must be a whole number from 1 to 1000/],
      ['after', () => sessions.items('s', { after: -1 }), /^after must be a whole number ≥ 0/],
      ['before', () => sessions.items('s', { before: 2.5 }), /^before must be a whole number ≥ 0/],
      ['order', () => sessions.items('s', { order: 'up' as never }), /^order must be 'asc' or 'desc'; got "up"/],
      ['pop ifVersion', () => sessions.pop('s', { ifVersion: 'x' as never }), /^ifVersion must be a whole number/],
      ['truncate neither', () => sessions.truncate('s', {} as never), /^truncate takes exactly one of after and before; got neither/],
      ['truncate both', () => sessions.truncate('s', { after: 1, before: 2 } as never), /got both/],
      ['truncate after', () => sessions.truncate('s', { after: NaN }), /^after must be a whole number ≥ 0/],
      ['truncate before', () => sessions.truncate('s', { before: -3 }), /^before must be a whole number ≥ 0/],
    ];
    for (const [what, call, message] of bad) {
      const err = await refusal(call());
      expect(err, what).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).status, what).toBe(400);
      expect((err as Error).message, what).toMatch(message);
    }
    expect(calls).toEqual([]);
  });

  it('accepts every key of 1–256 characters from ! to ~, and 1000 items in one batch', async () => {
    const sessions = setup();
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    for (const key of [printable, '!', 'k'.repeat(256)]) await sessions.append('s', [1], { idempotencyKey: key });
    expect(await sessions.append('s', Array.from({ length: 1000 }, (_, i) => i))).toMatchObject({ firstSeq: 4, lastSeq: 1003 });
  });

  it('refuses items that are not JSON with a ValidationError naming the item, and stores none', async () => {
    const { store, calls } = recording();
    const sessions = setup({}, store);
    const err = await refusal(sessions.append('s', [{ ok: 1 }, { at: new Date() }]));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).status).toBe(422);
    expect((err as Error).message).toMatch(/^items\[1\]\["at"\] is a Date, not a plain object; each item must be a JSON value/);
    expect((err as ValidationError).issues[0]?.path).toEqual([1, 'at']);
    for (const item of [undefined, () => 1, NaN, 10n]) {
      await expect(sessions.append('s', [item])).rejects.toThrow(/^items\[0\] /);
    }
    expect(calls).toEqual([]);
  });

  it('turns the store refusals into VersionConflictError (412) and InvalidArgumentError, changing nothing', async () => {
    const sessions = setup();
    await sessions.append('s', [1, 2]);
    const cases: [() => Promise<unknown>, number][] = [
      [() => sessions.append('s', [3], { ifVersion: 5 }), 1],
      [() => sessions.append('s', [3], { ifVersion: 0 }), 1],
      [() => sessions.pop('s', { ifVersion: 2 }), 1],
      [() => sessions.truncate('s', { after: 0, ifVersion: 0 }), 1],
      [() => sessions.append('nobody', [3], { ifVersion: 1 }), 0],
      [() => sessions.pop('nobody', { ifVersion: 1 }), 0],
    ];
    for (const [call, currentVersion] of cases) {
      const err = await refusal(call());
      expect(err).toBeInstanceOf(VersionConflictError);
      expect(err).toMatchObject({ status: 412, code: 'version_conflict', currentVersion });
    }
    await expect(sessions.append('s', [3], { ifVersion: 0 })).rejects.toThrow(/^session "s" already exists \(version 1\); ifVersion 0 creates only/);
    const above = await refusal(sessions.append('s', [3], { replaceAfter: 3 }));
    expect(above).toBeInstanceOf(InvalidArgumentError);
    expect((above as Error).message).toBe('replaceAfter 3 is above the lastSeq 2 of session "s"; rewind to 2 or less');
    expect(await sessions.get('s')).toMatchObject({ version: 1, itemCount: 2, lastSeq: 2 });
    expect(await sessions.get('nobody')).toBeUndefined();
  });
});

describe('item limits', () => {
  it('maxItemBytes defaults to maxBytes and counts UTF-8 bytes of the item JSON', async () => {
    const sessions = setup({ maxBytes: 10 });
    await sessions.append('s', ['x'.repeat(8)]); // "xxxxxxxx": 10 bytes
    const err = await refusal(sessions.append('s', ['ok', 'é'.repeat(5)])); // 12 bytes
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err).toMatchObject({ status: 413, limit: 10 });
    expect((err as Error).message).toBe('items[1] is 12 bytes as JSON, over maxItemBytes 10; store less or raise maxItemBytes');
    const own = setup({ maxBytes: 10, maxItemBytes: 100 });
    await own.append('s', ['é'.repeat(40)]);
    expect(await sessions.get('s')).toMatchObject({ itemCount: 1 });
  });

  it('refuses a batch that alone is over maxItems or maxLogBytes, even with dropOldest', async () => {
    for (const onFull of ['refuse', 'dropOldest'] as const) {
      const { store, calls } = recording();
      const sessions = setup({ maxItems: 2, maxLogBytes: 20, onFull }, store);
      await expect(sessions.append('s', [1, 2, 3])).rejects.toThrow('a batch of 3 items is over maxItems 2; append fewer or raise maxItems');
      await expect(sessions.append('s', ['é'.repeat(10)])).rejects.toThrow('the batch is 22 bytes as JSON, over maxLogBytes 20; append less or raise maxLogBytes');
      expect(calls).toEqual([]);
    }
  });

  it('refuses an append the log has no room for (413), nothing appended; dropOldest trims instead', async () => {
    const sessions = setup({ maxItems: 3 });
    await sessions.append('s', [1, 2, 3]);
    const err = await refusal(sessions.append('s', [4]));
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as Error).message).toBe(
      `session "s" is full: 1 more items would put it over maxItems 3 or maxLogBytes ${64 * 1024 * 1024}; truncate it, or use onFull: 'dropOldest'`,
    );
    expect(await sessions.get('s')).toMatchObject({ version: 1, itemCount: 3, lastSeq: 3 });

    const dropping = setup({ maxItems: 3, maxLogBytes: 3, onFull: 'dropOldest' });
    await dropping.append('s', [1, 2, 3]);
    expect(await dropping.append('s', [4, 5])).toMatchObject({ firstSeq: 4, lastSeq: 5, version: 2 });
    expect((await dropping.items('s'))!.items.map((i) => i.data)).toEqual([3, 4, 5]);
    expect(await dropping.append('s', [66])).toMatchObject({ lastSeq: 6 }); // maxItems drops 3, maxLogBytes 4
    expect((await dropping.items('s'))!.items.map((i) => i.seq)).toEqual([5, 6]);
  });

  it('refuses bad limit options with a TypeError naming the option', () => {
    expect(() => new SessionManager({ maxItems: 0 })).toThrow(/^maxItems must be a whole number ≥ 1; got "0"/);
    expect(() => new SessionManager({ maxItemBytes: 1.5 })).toThrow(/^maxItemBytes must be a whole number ≥ 1/);
    expect(() => new SessionManager({ maxLogBytes: -1 })).toThrow(/^maxLogBytes must be a whole number ≥ 1/);
    expect(() => new SessionManager({ onFull: 'drop' as never })).toThrow(/^onFull must be 'refuse' or 'dropOldest'; got "drop"/);
    expect(() => new SessionManager({ maxLogBytes: Infinity })).toThrow(TypeError);
  });

  it('an append renews the idle ttl; pop and truncate keep the expiry', async () => {
    const sessions = setup({ ttl: 10_000 });
    await sessions.append('s', [1, 2]);
    tick(5000);
    await sessions.append('s', [3]);
    const renewed = (await sessions.get('s'))!.expiresAt;
    expect(renewed).toBe(iso(clock + 10_000));
    tick(5000);
    await sessions.pop('s');
    await sessions.truncate('s', { before: 2 });
    expect(await sessions.get('s')).toMatchObject({ expiresAt: renewed, itemCount: 1, updatedAt: iso(clock) });
    tick(5000);
    expect(await sessions.items('s')).toBeUndefined();
  });
});
