/** `get` and `put`: records as the store keeps them. */
import { expect } from 'vitest';
import type { SessionRecord } from '../../src/index.js';
import type { Case } from './context.js';

/** The record of a write that must have succeeded. */
export function written(result: { ok: boolean; record?: SessionRecord }): SessionRecord {
  expect(result).toMatchObject({ ok: true });
  return result.record!;
}

export const records: Case[] = [
  {
    name: 'get returns undefined for an id never written',
    async run({ store, id, now }) {
      expect(await store.get(id('nobody'), now())).toBeUndefined();
    },
  },
  {
    name: 'put creates a record at version 1 with createdAt and updatedAt at now, and get returns it',
    async run({ store, id, now, put }) {
      const record = written(await put(id('new'), '{"a":1}'));
      expect(record).toEqual({ id: id('new'), data: '{"a":1}', version: 1, createdAt: now(), updatedAt: now(), expiresAt: null, itemCount: 0, lastSeq: 0 });
      expect(await store.get(id('new'), now())).toEqual(record);
    },
  },
  {
    name: 'put replaces a live record at version + 1, keeping createdAt and moving updatedAt to now',
    async run({ store, id, now, tick, put }) {
      const first = written(await put(id('r'), '1'));
      tick(1000);
      const second = written(await put(id('r'), '2'));
      expect(second).toEqual({ id: id('r'), data: '2', version: 2, createdAt: first.createdAt, updatedAt: now(), expiresAt: null, itemCount: 0, lastSeq: 0 });
      expect(await store.get(id('r'), now())).toEqual(second);
    },
  },
  {
    name: 'keeps data as the exact text it was given',
    async run({ store, id, now, put, ns }) {
      const texts = [
        'null', '0', '-1.5', '1e308', 'true', '""', '[]', '{}',
        '"ünïcødé 🦜 \\"quoted\\" \\\\ \\n \u2028"',
        '{"__proto__":{"polluted":true},"constructor":{"prototype":{}}}',
        '{"b":1,"a":[1,[2,[3]]]}',
        `"${'x'.repeat(100_000)}"`,
      ];
      for (const [i, text] of texts.entries()) await put(id(`v${i}`), text);
      for (const [i, text] of texts.entries()) expect((await store.get(id(`v${i}`), now()))?.data).toBe(text);
      const listed = await store.list({ prefix: ns, limit: 100, meta: false, now: now() });
      expect(new Set(listed.map((r) => r.data))).toEqual(new Set(texts));
    },
  },
  {
    name: 'keeps records under ids of every allowed character, up to 256 characters long',
    async run({ store, ns, now, put }) {
      const ids = ['0b3f2c1e-8d4a-4c2b-9f1e-7a6b5c4d3e2f', '01ARZ3NDEKTSV4RRFFQ69G5FAV', 'user-42:thread-7', 'ada.lovelace@example.org', '.a', 'a..b', '~_-.:@', 'x'.repeat(256 - ns.length)]
        .map((name) => ns + name);
      for (const id of ids) await put(id, JSON.stringify(id));
      for (const id of ids) expect(await store.get(id, now())).toMatchObject({ id, data: JSON.stringify(id), version: 1 });
      const listed = await store.list({ prefix: ns, limit: 100, meta: false, now: now() });
      expect(listed.map((r) => r.id)).toEqual([...ids].sort());
    },
  },
  {
    name: 'a record it returned does not change when the session is written, touched or deleted later',
    async run({ store, id, now, tick, put }) {
      const fromPut = written(await put(id('k'), '"one"', { ttl: 60_000 }));
      const fromGet = (await store.get(id('k'), now()))!;
      const [listed] = await store.list({ prefix: id('k'), limit: 1, meta: false, now: now() });
      const before = structuredClone([fromPut, fromGet, listed]);
      tick(10);
      await put(id('k'), '"two"', { ttl: 60_000 });
      const touched = (await store.touch({ id: id('k'), now: now(), idleExpiresAt: now() + 120_000, maxLifetime: null }))!;
      const snapshot = structuredClone(touched);
      await store.delete({ id: id('k'), now: now() });
      expect([fromPut, fromGet, listed]).toEqual(before);
      expect(touched).toEqual(snapshot);
    },
  },
];
