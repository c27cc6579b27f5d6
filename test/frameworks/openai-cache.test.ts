/**
 * `AgentsSession`'s history cache over a MemoryStore and a RedisStore manager: a read finding
 * the session as this object last saw it answers from the cache; every other write (another
 * object, the manager directly, a trim) is seen by the next read; what the caller gets is its
 * own copy; and after every step of random sequences the cached answer equals a fresh read.
 */
import { randomUUID } from 'node:crypto';
import type { AgentInputItem } from '@openai/agents-core';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { AgentsSession } from '../../frameworks/openai-agents/index.js';
import { MemoryStore, SessionManager, type SessionManagerOptions, type SessionStore } from '../../src/index.js';
import { removePrefix, uniquePrefix } from '../adapters/redis-helpers.js';

const message = (content: string): AgentInputItem => ({ type: 'message', role: 'user', content });
const messages = (from: number, to: number): AgentInputItem[] => Array.from({ length: to - from + 1 }, (_, i) => message(`m${from + i}`));

const url = inject('redisUrl');
const prefix = uniquePrefix('openai-cache');
let client: Redis | undefined;

afterAll(async () => {
  if (!client) return;
  await removePrefix(client, prefix);
  await client.quit();
});

const stores: [string, () => SessionStore][] = [['a MemoryStore', () => new MemoryStore()]];
let redisStore: RedisStore | undefined;
if (url) stores.push(['a RedisStore', () => (redisStore ??= new RedisStore({ client: (client ??= new Redis(url)), prefix }))]);

/** A clock a minute behind that moves 1 ms on every reading: no two writes share a millisecond. */
function ticking(): () => number {
  let now = Date.now() - 60_000;
  return () => ++now;
}

/** Counts the manager's `get` and `items` calls. */
function counted(manager: SessionManager<unknown, unknown>): { gets: number; pages: number } {
  const calls = { gets: 0, pages: 0 };
  const get = manager.get.bind(manager);
  const items = manager.items.bind(manager);
  manager.get = (id) => (calls.gets++, get(id));
  manager.items = (id, options) => (calls.pages++, items(id, options));
  return calls;
}

describe.each(stores)('AgentsSession history cache over %s', (_, makeStore) => {
  function setup(options: { historyLimit?: number; cache?: boolean } = {}, managerOptions: SessionManagerOptions<unknown> = {}) {
    const store = makeStore();
    const manager = new SessionManager<unknown, unknown>({ store, now: ticking(), ...managerOptions });
    const id = `chat-${randomUUID()}`;
    /** The history as a new object, without a cache, reads it. */
    const fresh = (limit?: number) => new AgentsSession(manager, id, { cache: false }).getItems(limit);
    return { store, manager, id, fresh, session: new AgentsSession(manager, id, options) };
  }

  it('an unchanged session is answered from the cache: one get, no page read', async () => {
    const { manager, session } = setup();
    await session.addItems(messages(1, 3));
    const calls = counted(manager);
    expect(await session.getItems()).toEqual(messages(1, 3)); // fills the cache
    expect(calls).toEqual({ gets: 1, pages: 1 });
    await session.addItems(messages(4, 5)); // continues the cached state: extends it
    expect(await session.getItems()).toEqual(messages(1, 5));
    expect(await session.getItems(2)).toEqual(messages(4, 5));
    expect(calls).toEqual({ gets: 3, pages: 1 });
    expect(await session.popItem()).toEqual(message('m5'));
    expect(await session.getItems()).toEqual(messages(1, 4));
    expect(calls).toEqual({ gets: 4, pages: 1 });
  });

  it('cache: false reads the log on every getItems and never the session; a non-boolean is refused', async () => {
    const { manager, session, id } = setup({ cache: false });
    await session.addItems(messages(1, 3));
    const calls = counted(manager);
    expect(await session.getItems()).toEqual(messages(1, 3));
    expect(await session.getItems()).toEqual(messages(1, 3));
    expect(calls).toEqual({ gets: 0, pages: 2 });
    expect(() => new AgentsSession(manager, id, { cache: 'yes' as unknown as boolean })).toThrow(/cache must be a boolean/);
  });

  it('every write through the manager between two getItems is seen by the next one', async () => {
    const { manager, id, session } = setup();
    await session.addItems(messages(1, 6));
    const steps: [string, () => Promise<unknown>, AgentInputItem[]][] = [
      ['append', () => manager.append(id, [message('x')]), [...messages(1, 6), message('x')]],
      ['pop', () => manager.pop(id), messages(1, 6)],
      ['pop then append (same itemCount and lastSeq)', async () => (await manager.pop(id), manager.append(id, [message('y')])), [...messages(1, 5), message('y')]],
      ['truncate after', () => manager.truncate(id, { after: 4 }), messages(1, 4)],
      ['truncate before', () => manager.truncate(id, { before: 3 }), messages(3, 4)],
      ['put (data only)', () => manager.put(id, { note: 1 }), messages(3, 4)],
      ['clear and create again with as many items', async () => (await manager.clear(id), manager.append(id, [message('a'), message('b')])), [message('a'), message('b')]],
      ['clear', () => manager.clear(id), []],
    ];
    for (const [name, write, expected] of steps) {
      await session.getItems(); // the cache holds the state before the write
      await write();
      expect(await session.getItems(), name).toEqual(expected);
    }
  });

  it('a session cleared and created again to the same version, itemCount and lastSeq is told apart by createdAt', async () => {
    const { manager, id, session } = setup();
    await session.addItems([message('old')]);
    expect(await session.getItems()).toEqual([message('old')]);
    await manager.clear(id);
    await manager.append(id, [message('new')]);
    expect(await manager.get(id)).toMatchObject({ version: 1, itemCount: 1, lastSeq: 1 });
    expect(await session.getItems()).toEqual([message('new')]);
  });

  it('a state seen within its creation millisecond is not cached: a life ended and begun again in that millisecond is read anew', async () => {
    const inOneMillisecond = Date.now() + 3_600_000; // a clock standing still, ahead of Date.now()
    const { manager, id, session } = setup({}, { now: () => inOneMillisecond });
    await session.addItems([message('old')]);
    expect(await session.getItems()).toEqual([message('old')]);
    await manager.clear(id);
    await manager.append(id, [message('new')]);
    expect(await manager.get(id)).toMatchObject({ version: 1, itemCount: 1, lastSeq: 1 });
    expect(await session.getItems()).toEqual([message('new')]);
  });

  it('an append trimmed by the manager (onFull dropOldest) is seen at the next read, from this object or another', async () => {
    const { manager, id, session } = setup({}, { maxItems: 4, onFull: 'dropOldest' });
    await session.addItems(messages(1, 3));
    expect(await session.getItems()).toEqual(messages(1, 3));
    await session.addItems(messages(4, 5)); // continues the cached state, but the store dropped m1
    expect(await session.getItems()).toEqual(messages(2, 5));
    await manager.append(id, messages(6, 6));
    expect(await session.getItems()).toEqual(messages(3, 6));
  });

  it('two objects over one session taking turns each see exactly the whole conversation', async () => {
    const { manager, id, session } = setup();
    const other = new AgentsSession(manager, id);
    const all: AgentInputItem[] = [];
    for (let turn = 0; turn < 8; turn++) {
      const player = [session, other][turn % 3 === 0 ? 0 : 1]!; // both play some turns in a row
      expect(await player.getItems(), `turn ${turn}`).toEqual(all);
      const said = messages(turn * 10, turn * 10 + 2);
      await player.addItems(said);
      all.push(...said);
    }
    expect(await session.getItems()).toEqual(all);
    expect(await other.getItems()).toEqual(all);
  });

  it('what getItems returns and what addItems was given are the caller\'s: changing them leaves the cache as stored', async () => {
    const { session, fresh } = setup();
    const bytes = { type: 'function_call_result', name: 'f', callId: 'c', status: 'completed', output: { type: 'image', image: { data: new Uint8Array([1, 2, 3]) } } };
    const given = [message('a'), bytes as unknown as AgentInputItem];
    await session.addItems(given);
    const first = await session.getItems();
    (given[0] as { content: string }).content = 'changed after addItems';
    (first[0] as { content: string }).content = 'changed';
    (first[1] as unknown as typeof bytes).output.image.data[0] = 99;
    first.push(message('extra'));
    await session.addItems([message('b')]);
    (given[1] as unknown as typeof bytes).output.image.data[1] = 77;
    const second = await session.getItems();
    expect(second).toEqual(await fresh());
    expect(second[0]).toEqual(message('a'));
    expect([...(second[1] as unknown as typeof bytes).output.image.data]).toEqual([1, 2, 3]);
    expect(second).toHaveLength(3);
  });

  it('an item with an own __proto__ key comes back from the cache as an own entry, as from the log', async () => {
    const { session, fresh } = setup();
    const item = JSON.parse('{"type":"message","role":"user","content":"p","__proto__":{"nested":{"__proto__":[1]}}}') as AgentInputItem;
    await session.getItems(); // no session yet: nothing cached
    await session.addItems([message('first')]);
    await session.getItems(); // cached
    await session.addItems([item]); // extends the cache
    const [, back] = await session.getItems();
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(JSON.stringify(back)).toBe(JSON.stringify(item));
    expect(JSON.stringify(await session.getItems())).toBe(JSON.stringify(await fresh()));
  });

  type Op =
    | { kind: 'add' | 'other add' | 'manager append'; count: number }
    | { kind: 'get'; limit: number | undefined }
    | { kind: 'truncate'; after: number }
    | { kind: 'pop' | 'manager pop' | 'clear' | 'manager clear' | 'put' | 'compact' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constantFrom('add' as const, 'other add' as const, 'manager append' as const), count: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant('get' as const), limit: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }) }),
    fc.record({ kind: fc.constantFrom('pop' as const, 'manager pop' as const, 'clear' as const, 'manager clear' as const, 'put' as const, 'compact' as const) }),
    fc.record({ kind: fc.constant('truncate' as const), after: fc.integer({ min: 0, max: 8 }) }),
  );

  it('after every step of random operations, the cached answer equals a fresh read (50 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }), async (ops, historyLimit) => {
        const { manager, id, session, fresh } = setup({ historyLimit }, { maxItems: 5, onFull: 'dropOldest' });
        const other = new AgentsSession(manager, id);
        let n = 0;
        const next = (count: number) => messages(n + 1, (n += count));
        for (const o of ops) {
          if (o.kind === 'add') await session.addItems(next(o.count));
          else if (o.kind === 'other add') await other.addItems(next(o.count));
          else if (o.kind === 'manager append') await manager.append(id, next(o.count));
          else if (o.kind === 'get') await session.getItems(o.limit);
          else if (o.kind === 'pop') await session.popItem();
          else if (o.kind === 'manager pop') await manager.pop(id);
          else if (o.kind === 'clear') await session.clearSession();
          else if (o.kind === 'manager clear') await manager.clear(id);
          else if (o.kind === 'put') await manager.put(id, null);
          else if (o.kind === 'compact') await session.replaceHistoryWithCompaction(next(2));
          else if (o.kind === 'truncate') await manager.truncate(id, { after: o.after });
          const whole = await fresh();
          const window = historyLimit === undefined ? whole : await new AgentsSession(manager, id, { cache: false, historyLimit }).getItems();
          expect(await session.getItems()).toEqual(window);
          expect(await session.getItems(2)).toEqual(historyLimit === undefined ? whole.slice(-2) : await new AgentsSession(manager, id, { cache: false, historyLimit }).getItems(2));
        }
      }),
      { numRuns: 50 },
    );
  });
});
