/**
 * SessionsSaver's own rules, beyond LangGraph's suite: thread ids and namespaces mapped into
 * session ids and back, the serializer's bytes kept exactly, putWrites' first-write-wins (last
 * for the special indexes), listing across threads of one prefix, deleteThread, bad input.
 */
import { WRITES_IDX_MAP, emptyCheckpoint, uuid6, type SerializerProtocol } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { describe, expect, it } from 'vitest';
import { decodePart, encodePart } from '../../frameworks/langgraph/ids.js';
import { SessionsSaver } from '../../frameworks/langgraph/index.js';
import { InvalidArgumentError, InvalidIdentifierError, SessionManager } from '../../src/index.js';

const meta = { source: 'loop' as const, step: 0, parents: {} };

function checkpoint(values: Record<string, unknown> = {}) {
  const versions = Object.fromEntries(Object.keys(values).map((channel) => [channel, 1]));
  return { ...emptyCheckpoint(), id: uuid6(0), channel_values: values, channel_versions: versions };
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('thread ids and namespaces as session ids', () => {
  it('keeps identifier characters and writes the others as ~XX per UTF-8 byte, reversibly', () => {
    for (const text of ['chat-1', 'user@example.com / chat #1 ✓', '~~', 'node:1|child:2', '.', '日本', '💬']) {
      const part = encodePart(text);
      expect(part).toMatch(/^[A-Za-z0-9._:~-]*$/);
      expect(decodePart(part)).toBe(text);
    }
    expect(encodePart('a b@c~')).toBe('a~20b~40c~7E');
    expect(decodePart('a~7e')).toBeUndefined(); // lower-case hex is not what encodePart writes
    expect(decodePart('~41')).toBeUndefined(); // nor an escaped kept character
    expect(decodePart('~FF')).toBeUndefined(); // nor bytes that are not UTF-8
  });

  it('stores a thread with any characters, in a subgraph namespace, and lists it back under its own names', async () => {
    const manager = new SessionManager();
    const saver = new SessionsSaver(manager);
    const thread = 'user@example.com / chat #1 ✓';
    const namespace = 'parent:1f0|child:2e1';
    const config = await saver.put({ configurable: { thread_id: thread, checkpoint_ns: namespace } }, checkpoint({ a: 1 }), meta, { a: 1 });
    expect(config.configurable).toEqual({ thread_id: thread, checkpoint_ns: namespace, checkpoint_id: expect.any(String) });
    const page = await manager.list({ fields: 'meta' });
    expect(page.sessions.map((s) => s.id)).toEqual(['langgraph:user~40example.com~20~2F~20chat~20~231~20~E2~9C~93@parent:1f0~7Cchild:2e1']);
    const [tuple] = await all(saver.list({}));
    expect(tuple?.config.configurable).toEqual(config.configurable);
    expect(tuple?.checkpoint.channel_values).toEqual({ a: 1 });
  });

  it('refuses a config without thread_id (or checkpoint_id for writes), a bad prefix, and a thread too long for an id', async () => {
    const saver = new SessionsSaver(new SessionManager());
    await expect(saver.put({ configurable: {} }, checkpoint(), meta, {})).rejects.toThrow(InvalidArgumentError);
    await expect(saver.put({ configurable: { thread_id: 7 } }, checkpoint(), meta, {})).rejects.toThrow(/thread_id must be a non-empty string/);
    await expect(saver.putWrites({ configurable: { thread_id: 't' } }, [['a', 1]], 'task')).rejects.toThrow(InvalidArgumentError);
    await expect(saver.put({ configurable: { thread_id: 'x'.repeat(300) } }, checkpoint(), meta, {})).rejects.toThrow(InvalidIdentifierError);
    expect(() => new SessionsSaver(new SessionManager(), { prefix: 'bad prefix' })).toThrow(TypeError);
  });
});

describe('values and writes', () => {
  it("round-trips the serializer's bytes exactly, every byte value", async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const seen: Uint8Array[] = [];
    const serde: SerializerProtocol = {
      dumpsTyped: async (value) => ['bytes', value instanceof Uint8Array ? value : new TextEncoder().encode(JSON.stringify(value))],
      loadsTyped: async (type, data) => {
        const raw = typeof data === 'string' ? new TextEncoder().encode(data) : data;
        if (type !== 'bytes') throw new Error(`unexpected type ${type}`);
        seen.push(raw);
        try {
          return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
        } catch {
          return raw;
        }
      },
    };
    const saver = new SessionsSaver(new SessionManager(), { serde });
    const config = await saver.put({ configurable: { thread_id: 't' } }, checkpoint({ blob: bytes }), meta, { blob: 1 });
    await saver.putWrites(config, [['blob', bytes]], 'task');
    const tuple = await saver.getTuple(config);
    expect(tuple?.checkpoint.channel_values.blob).toEqual(bytes);
    expect(tuple?.pendingWrites).toEqual([['task', 'blob', bytes]]);
    expect(seen.filter((raw) => raw.length === 256).every((raw) => raw.every((b, i) => b === i))).toBe(true);
  });

  it('keeps the first write per task and index, and the last one for the special negative indexes', async () => {
    const saver = new SessionsSaver(new SessionManager());
    const config = await saver.put({ configurable: { thread_id: 't' } }, checkpoint(), meta, {});
    const error = Object.keys(WRITES_IDX_MAP)[0]!;
    await saver.putWrites(config, [['a', 'first'], [error, 'error 1']], 'task');
    await saver.putWrites(config, [['a', 'second'], [error, 'error 2']], 'task');
    await saver.putWrites(config, [['a', 'other task']], 'another');
    expect((await saver.getTuple(config))?.pendingWrites).toEqual([
      ['another', 'a', 'other task'],
      ['task', error, 'error 2'],
      ['task', 'a', 'first'],
    ]);
  });
});

describe('listing and deleting threads', () => {
  it('lists every thread of its own prefix only, newest first within a thread, with before and limit', async () => {
    const manager = new SessionManager();
    const saver = new SessionsSaver(manager);
    const other = new SessionsSaver(manager, { prefix: 'other:' });
    await other.put({ configurable: { thread_id: 'x' } }, checkpoint(), meta, {});
    const ids: string[] = [];
    for (const thread of ['a', 'b']) {
      let config: RunnableConfig = { configurable: { thread_id: thread } };
      for (let step = 0; step < 3; step++) {
        config = await saver.put(config, checkpoint(), { ...meta, step }, {});
        ids.push(config.configurable?.checkpoint_id as string);
      }
    }
    const listed = (await all(saver.list({}))).map((t) => t.checkpoint.id);
    expect(listed).toEqual([ids[2], ids[1], ids[0], ids[5], ids[4], ids[3]]);
    const before = { configurable: { checkpoint_id: ids[4] } };
    expect((await all(saver.list({}, { before }))).map((t) => t.checkpoint.id)).toEqual([ids[2], ids[1], ids[0], ids[3]]);
    expect((await all(saver.list({ configurable: { thread_id: 'b' } }, { before, limit: 1 }))).map((t) => t.checkpoint.id)).toEqual([ids[3]]);
    expect((await all(saver.list({}, { filter: { step: 1 } }))).map((t) => t.checkpoint.id)).toEqual([ids[1], ids[4]]);
    expect((await all(other.list({}))).map((t) => t.config.configurable?.thread_id)).toEqual(['x']);
  });

  it('deleteThread removes the thread in every namespace, and no other thread', async () => {
    const manager = new SessionManager();
    const saver = new SessionsSaver(manager);
    for (const [thread_id, checkpoint_ns] of [['a', ''], ['a', 'sub:1'], ['a', 'sub:2'], ['ab', ''], ['a-b', 'sub:1']]) {
      await saver.put({ configurable: { thread_id, checkpoint_ns } }, checkpoint(), meta, {});
    }
    await saver.deleteThread('a');
    const left = (await all(saver.list({}))).map((t) => [t.config.configurable?.thread_id, t.config.configurable?.checkpoint_ns]);
    expect(left.sort()).toEqual([['a-b', 'sub:1'], ['ab', '']]);
    expect(await saver.getTuple({ configurable: { thread_id: 'a', checkpoint_ns: 'sub:1' } })).toBeUndefined();
  });
});

describe('put between its read and its append', () => {
  /** Runs `meanwhile` once, right after the next `items` read of `manager` (another writer at that instant). */
  function interleave(manager: SessionManager, meanwhile: () => Promise<unknown>): void {
    const items = manager.items.bind(manager);
    let pending = true;
    manager.items = (async (...args: Parameters<typeof items>) => {
      const page = await items(...args);
      if (pending) {
        pending = false;
        await meanwhile();
      }
      return page;
    }) as typeof manager.items;
  }

  const next = (values: Record<string, unknown>, versions: Record<string, number>) => ({ ...checkpoint(values), channel_versions: versions });

  it('reads again after another write to the thread, and still refers to the values it carries', async () => {
    const manager = new SessionManager();
    const saver = new SessionsSaver(manager);
    const first = await saver.put({ configurable: { thread_id: 't' } }, checkpoint({ topic: 'kept', n: 1 }), meta, { topic: 1, n: 1 });
    interleave(manager, () => saver.putWrites(first, [['n', 2]], 'task'));
    const second = await saver.put(first, next({ topic: 'kept', n: 2 }, { topic: 1, n: 2 }), meta, { n: 2 });
    expect((await saver.getTuple(second))?.checkpoint.channel_values).toEqual({ topic: 'kept', n: 2 });
  });

  it('never refers into a new life of the session: a thread deleted and begun again in between carries nothing over', async () => {
    const manager = new SessionManager();
    const saver = new SessionsSaver(manager);
    const first = await saver.put({ configurable: { thread_id: 't' } }, checkpoint({ topic: 'kept', n: 1 }), meta, { topic: 1, n: 1 });
    interleave(manager, async () => {
      await saver.deleteThread('t');
      await saver.put({ configurable: { thread_id: 't' } }, checkpoint({ other: 'new life' }), meta, { other: 1 });
    });
    const second = await saver.put(first, next({ topic: 'kept', n: 2 }, { topic: 1, n: 2 }), meta, { n: 2 });
    expect((await saver.getTuple(second))?.checkpoint.channel_values).toEqual({ n: 2 });
  });
});
