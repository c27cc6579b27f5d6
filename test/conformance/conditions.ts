/** Versions and conditional writes: `put` with and without `ifVersion`, alone and concurrent. */
import { expect } from 'vitest';
import type { Case } from './context.js';
import { written } from './records.js';

export const conditions: Case[] = [
  {
    name: 'put with ifVersion writes only over that live version, and is refused with the live version otherwise',
    async run({ store, id, now, put }) {
      await put(id('c'), '"a"');
      expect(written(await put(id('c'), '"b"', { ifVersion: 1 })).version).toBe(2);
      expect(await put(id('c'), '"x"', { ifVersion: 1 })).toEqual({ ok: false, currentVersion: 2 });
      expect(await store.get(id('c'), now())).toMatchObject({ data: '"b"', version: 2 });
    },
  },
  {
    name: 'put with ifVersion 0 creates only, and is refused with the live version when one exists',
    async run({ store, id, now, put }) {
      expect(written(await put(id('n'), '1', { ifVersion: 0 })).version).toBe(1);
      expect(await put(id('n'), '2', { ifVersion: 0 })).toEqual({ ok: false, currentVersion: 1 });
      expect(await store.get(id('n'), now())).toMatchObject({ data: '1', version: 1 });
    },
  },
  {
    name: 'put with ifVersion n on a missing record is refused with currentVersion 0 and creates nothing',
    async run({ store, id, now, put }) {
      expect(await put(id('none'), '1', { ifVersion: 3 })).toEqual({ ok: false, currentVersion: 0 });
      expect(await store.get(id('none'), now())).toBeUndefined();
    },
  },
  {
    name: 'of 10 concurrent puts with the same ifVersion exactly one succeeds',
    async run({ store, id, now, put }) {
      await put(id('race'), '0');
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => put(id('race'), String(i + 1), { ifVersion: 1 })));
      const won = results.filter((r) => r.ok);
      expect(won).toHaveLength(1);
      for (const r of results) if (!r.ok) expect(r.currentVersion).toBe(2);
      expect(await store.get(id('race'), now())).toEqual(won[0]!.ok && won[0]!.record);
    },
  },
  {
    name: 'of 10 concurrent creates with ifVersion 0 exactly one succeeds',
    async run({ id, put }) {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => put(id('first'), String(i), { ifVersion: 0 })));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    },
  },
  {
    name: 'concurrent unconditional puts return versions 1 to 20, each once',
    async run({ id, put }) {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => put(id('many'), String(i))));
      const versions = results.map((r) => written(r).version).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    },
  },
  {
    name: 'a record created again after delete starts at version 1 with a new createdAt',
    async run({ store, id, now, tick, put }) {
      await put(id('again'), '1');
      await put(id('again'), '2');
      await store.delete({ id: id('again'), now: now() });
      tick(5);
      expect(written(await put(id('again'), '3', { ifVersion: 0 }))).toMatchObject({ version: 1, createdAt: now() });
    },
  },
];
