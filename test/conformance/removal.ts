/** `delete`: removing a record, with and without `ifVersion`. */
import { expect } from 'vitest';
import type { Case } from './context.js';
import { written } from './records.js';

export const removal: Case[] = [
  {
    name: 'delete removes the live record and returns it; then get, list and delete find nothing',
    async run({ store, id, now, ns, put }) {
      const record = written(await put(id('gone'), '{"a":1}'));
      expect(await store.delete({ id: id('gone'), now: now() })).toEqual({ ok: true, record });
      expect(await store.get(id('gone'), now())).toBeUndefined();
      expect(await store.list({ prefix: ns, limit: 10, meta: false, now: now() })).toEqual([]);
      expect(await store.delete({ id: id('gone'), now: now() })).toEqual({ ok: false, currentVersion: 0 });
    },
  },
  {
    name: 'delete with ifVersion removes only that version, and is refused with the live version otherwise',
    async run({ store, id, now, put }) {
      await put(id('cv'), '1');
      const second = written(await put(id('cv'), '2'));
      expect(await store.delete({ id: id('cv'), now: now(), ifVersion: 1 })).toEqual({ ok: false, currentVersion: 2 });
      expect(await store.get(id('cv'), now())).toEqual(second);
      expect(await store.delete({ id: id('cv'), now: now(), ifVersion: 2 })).toEqual({ ok: true, record: second });
      expect(await store.delete({ id: id('cv'), now: now(), ifVersion: 2 })).toEqual({ ok: false, currentVersion: 0 });
    },
  },
  {
    name: 'of 10 concurrent deletes with the same ifVersion exactly one removes the record',
    async run({ store, id, now, put }) {
      await put(id('d'), '1');
      const results = await Promise.all(Array.from({ length: 10 }, () => store.delete({ id: id('d'), now: now(), ifVersion: 1 })));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    },
  },
];
