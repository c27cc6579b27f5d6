/**
 * `AgentsSession` method by method, over a MemoryStore and a RedisStore manager: paging,
 * limits, pop, clear, compaction, history transactions, and the byte codec.
 */
import { randomUUID } from 'node:crypto';
import type { AgentInputItem } from '@openai/agents-core';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { decode, encode } from '../../frameworks/openai-agents/codec.js';
import { AgentsSession } from '../../frameworks/openai-agents/index.js';
import { InvalidArgumentError, InvalidIdentifierError, MemoryStore, SessionManager, VersionConflictError, type SessionStore } from '../../src/index.js';
import { removePrefix, uniquePrefix } from '../adapters/redis-helpers.js';

const message = (content: string): AgentInputItem => ({ type: 'message', role: 'user', content });
const messages = (from: number, to: number): AgentInputItem[] => Array.from({ length: to - from + 1 }, (_, i) => message(`m${from + i}`));

const url = inject('redisUrl');
const prefix = uniquePrefix('openai-session');
let client: Redis | undefined;

afterAll(async () => {
  if (!client) return;
  await removePrefix(client, prefix);
  await client.quit();
});

const stores: [string, () => SessionStore][] = [['a MemoryStore', () => new MemoryStore()]];
let redisStore: RedisStore | undefined; // one for every case (ids are unique): one client, one listener
if (url) stores.push(['a RedisStore', () => (redisStore ??= new RedisStore({ client: (client ??= new Redis(url)), prefix }))]);

/** Adds `count` numbered items in batches of at most 1000 (one append each). */
async function fill(session: AgentsSession, count: number): Promise<void> {
  for (let from = 1; from <= count; from += 1000) await session.addItems(messages(from, Math.min(count, from + 999)));
}

describe.each(stores)('AgentsSession over %s', (_, makeStore) => {
  function setup(options?: { historyLimit?: number }) {
    const manager = new SessionManager<unknown, unknown>({ store: makeStore() });
    const id = `chat-${randomUUID()}`;
    return { manager, id, session: new AgentsSession(manager, id, options) };
  }

  it('getSessionId answers the id; a bad id or historyLimit is refused at construction', async () => {
    const { session, id, manager } = setup();
    expect(await session.getSessionId()).toBe(id);
    expect(() => new AgentsSession(manager, 'a b')).toThrow(InvalidIdentifierError);
    expect(() => new AgentsSession(manager, 'ok', { historyLimit: 0 })).toThrow(TypeError);
    expect(() => new AgentsSession(manager, 'ok', { historyLimit: 1.5 })).toThrow(/historyLimit/);
  });

  it('getItems of a session that does not exist is empty, with or without a limit', async () => {
    const { session } = setup();
    expect(await session.getItems()).toEqual([]);
    expect(await session.getItems(5)).toEqual([]);
    expect(await session.popItem()).toBeUndefined();
  });

  it('getItems pages through a long log: all 2,500 items oldest first; getItems(n) the newest n oldest first', async () => {
    const { session } = setup();
    await fill(session, 2500);
    expect(await session.getItems()).toEqual(messages(1, 2500));
    expect(await session.getItems(3)).toEqual(messages(2498, 2500));
    expect(await session.getItems(1200)).toEqual(messages(1301, 2500));
    expect(await session.getItems(5000)).toEqual(messages(1, 2500));
    expect(await session.getItems(0)).toEqual([]);
  });

  it('historyLimit caps what getItems returns, with or without a limit', async () => {
    const { session } = setup({ historyLimit: 4 });
    await fill(session, 10);
    expect(await session.getItems()).toEqual(messages(7, 10));
    expect(await session.getItems(2)).toEqual(messages(9, 10));
    expect(await session.getItems(50)).toEqual(messages(7, 10));
  });

  it('historyLimit never starts the window with tool results whose calls it cut off', async () => {
    const { session } = setup({ historyLimit: 3 });
    const call = (id: string) => ({ type: 'function_call', name: 'f', callId: id, status: 'completed', arguments: '{}' }) as AgentInputItem;
    const result = (id: string) => ({ type: 'function_call_result', name: 'f', callId: id, status: 'completed', output: 'ok' }) as AgentInputItem;
    await session.addItems([message('m1'), call('a'), call('b'), result('a'), result('b'), message('m2')]);
    expect(await session.getItems()).toEqual([message('m2')]);
    expect(await session.getItems(2)).toEqual([result('b'), message('m2')]); // an explicit limit is exact
    await session.addItems([call('c'), result('c')]);
    expect(await session.getItems()).toEqual([message('m2'), call('c'), result('c')]);
  });

  it('addItems is one append of the whole list; an empty list changes nothing', async () => {
    const { session, manager, id } = setup();
    await session.addItems([]);
    expect(await manager.get(id)).toBeUndefined();
    await session.addItems(messages(1, 3));
    expect(await manager.get(id)).toMatchObject({ version: 1, itemCount: 3, lastSeq: 3 });
  });

  it('popItem removes and returns the newest item; clearSession removes items and data', async () => {
    const { session, manager, id } = setup();
    await session.addItems(messages(1, 3));
    expect(await session.popItem()).toEqual(message('m3'));
    expect(await session.getItems()).toEqual(messages(1, 2));
    await session.clearSession();
    expect(await manager.get(id)).toBeUndefined();
    expect(await session.getItems()).toEqual([]);
    await session.clearSession(); // a missing session is fine
  });

  it('replaceHistoryWithCompaction replaces the whole log in one version step', async () => {
    const { session, manager, id } = setup();
    await session.addItems(messages(1, 5));
    const compacted: AgentInputItem[] = [{ type: 'compaction', encrypted_content: 'opaque' } as AgentInputItem, message('m6')];
    await session.replaceHistoryWithCompaction(compacted);
    expect(await session.getItems()).toEqual(compacted);
    expect(await manager.get(id)).toMatchObject({ version: 2, itemCount: 2 });
  });

  describe('applyHistoryTransaction', () => {
    it('append_items applies once per operation id; the same id with other items is refused', async () => {
      const { session } = setup();
      const args = { operationId: 'run-1:0:blocked_append:0:2', transaction: { type: 'append_items' as const, items: messages(1, 2) } };
      await session.applyHistoryTransaction(args);
      await session.applyHistoryTransaction(args);
      expect(await session.getItems()).toEqual(messages(1, 2));
      await expect(
        session.applyHistoryTransaction({ ...args, transaction: { type: 'append_items', items: messages(3, 3) } }),
      ).rejects.toThrow(InvalidArgumentError);
      expect(await session.getItems()).toEqual(messages(1, 2));
    });

    it('replace_suffix replaces the newest items when they match, once, and a retry changes nothing', async () => {
      const { session } = setup();
      await session.addItems(messages(1, 4));
      const args = {
        operationId: 'op-replace',
        transaction: { type: 'replace_suffix' as const, expectedSuffix: messages(3, 4), replacement: [message('x'), message('y'), message('z')] },
      };
      await session.applyHistoryTransaction(args);
      const after = [...messages(1, 2), message('x'), message('y'), message('z')];
      expect(await session.getItems()).toEqual(after);
      await session.applyHistoryTransaction(args); // a retry after a lost reply
      expect(await session.getItems()).toEqual(after);
    });

    it('replace_suffix whose expected suffix no longer matches fails and changes nothing', async () => {
      const { session, manager, id } = setup();
      await session.addItems(messages(1, 3));
      const before = await manager.get(id);
      await expect(
        session.applyHistoryTransaction({
          operationId: 'op-stale',
          transaction: { type: 'replace_suffix', expectedSuffix: messages(1, 2), replacement: [message('x')] },
        }),
      ).rejects.toThrow(VersionConflictError);
      expect(await session.getItems()).toEqual(messages(1, 3));
      expect((await manager.get(id))?.version).toBe(before?.version);
    });

    it('two replace_suffix transactions racing for one suffix: one applies, the other fails and changes nothing', async () => {
      const { session, manager, id } = setup();
      await session.addItems(messages(1, 4));
      const other = new AgentsSession(manager, id);
      const replace = (s: AgentsSession, op: string, text: string) =>
        s.applyHistoryTransaction({ operationId: op, transaction: { type: 'replace_suffix', expectedSuffix: messages(3, 4), replacement: [message(text)] } });
      const results = await Promise.allSettled([replace(session, 'op-a', 'a'), replace(other, 'op-b', 'b')]);
      const won = results.findIndex((r) => r.status === 'fulfilled');
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((results[1 - won] as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
      expect(await session.getItems()).toEqual([...messages(1, 2), message(won === 0 ? 'a' : 'b')]);
    });

    it('an empty or blank operation id is refused', async () => {
      const { session } = setup();
      await expect(
        session.applyHistoryTransaction({ operationId: ' ', transaction: { type: 'append_items', items: messages(1, 1) } }),
      ).rejects.toThrow(InvalidArgumentError);
      expect(await session.getItems()).toEqual([]);
    });
  });

  describe('bytes', () => {
    it('Uint8Array values anywhere in an item round-trip exactly through the store', async () => {
      const { session } = setup();
      const item = {
        type: 'function_call_result',
        name: 'files',
        callId: 'c',
        status: 'completed',
        output: [
          { type: 'file', file: { data: new Uint8Array([0, 1, 2, 253, 254, 255]), mediaType: 'application/pdf', filename: 'a.pdf' } },
          { type: 'image', image: { data: new Uint8Array(0), mediaType: 'image/png' } },
        ],
      } as unknown as AgentInputItem;
      await session.addItems([item]);
      const [back] = await session.getItems();
      expect(back).toEqual(item);
      const file = (back as unknown as { output: { file: { data: unknown } }[] }).output[0]!.file.data;
      expect(file).toBeInstanceOf(Uint8Array);
      expect([...(file as Uint8Array)]).toEqual([0, 1, 2, 253, 254, 255]);
    });

    it('the stored JSON wraps bytes as { $bytes: base64 } and escapes objects that look like a wrapper', () => {
      const view = new Uint8Array([9, 8, 7, 6]).subarray(1, 3);
      expect(encode({ data: view })).toEqual({ data: { $bytes: 'CAc=' } });
      const lookalikes = [{ $bytes: 'AAAA' }, { $object: { a: 1 } }, { $object: 1 }, { $bytes: 'x', other: 1 }];
      for (const value of lookalikes) {
        expect(decode(JSON.parse(JSON.stringify(encode(value))))).toEqual(value);
      }
      expect(encode({ $bytes: 'AAAA' })).toEqual({ $object: { $bytes: 'AAAA' } });
      expect(encode({ a: undefined, b: [1, 'two', null] })).toEqual({ b: [1, 'two', null] });
      const own = JSON.parse('{"__proto__":{"$bytes":"AAE="},"x":{"__proto__":1}}') as object;
      const back = decode(JSON.parse(JSON.stringify(encode(own)))) as object;
      expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ $bytes: 'AAE=' });
      expect(JSON.stringify(back)).toBe(JSON.stringify(own));
    });
  });
});
