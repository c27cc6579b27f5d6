/** Expiry: `expiresAt` as `put` and `touch` compute it, and records absent from it on. */
import { expect } from 'vitest';
import type { Case } from './context.js';
import { written } from './records.js';

export const expiry: Case[] = [
  {
    name: 'a record is live until expiresAt and absent from it on, for get, list, touch and delete',
    async run({ store, id, now, tick, ns, put }) {
      const record = written(await put(id('t'), '1', { ttl: 60_000 }));
      expect(record.expiresAt).toBe(now() + 60_000);
      tick(59_999);
      expect(await store.get(id('t'), now())).toEqual(record);
      expect((await store.list({ prefix: ns, limit: 10, meta: false, now: now() })).map((r) => r.id)).toEqual([id('t')]);
      tick(1);
      expect(await store.get(id('t'), now())).toBeUndefined();
      expect(await store.list({ prefix: ns, limit: 10, meta: false, now: now() })).toEqual([]);
      expect(await store.list({ prefix: ns, limit: 10, meta: true, now: now() })).toEqual([]);
      expect(await store.touch({ id: id('t'), now: now(), idleExpiresAt: now() + 60_000, maxLifetime: null })).toBeUndefined();
      expect(await store.delete({ id: id('t'), now: now() })).toEqual({ ok: false, currentVersion: 0 });
      expect(await store.delete({ id: id('t'), now: now(), ifVersion: 1 })).toEqual({ ok: false, currentVersion: 0 });
    },
  },
  {
    name: 'put over an expired record creates it again at version 1 with a new createdAt, and ifVersion 0 succeeds',
    async run({ id, now, tick, put }) {
      await put(id('e'), '1', { ttl: 1000 });
      await put(id('e'), '2', { ttl: 1000 });
      tick(1000);
      expect(await put(id('e'), '3', { ifVersion: 2 })).toEqual({ ok: false, currentVersion: 0 });
      expect(written(await put(id('e'), '3', { ifVersion: 0 }))).toMatchObject({ version: 1, createdAt: now(), expiresAt: null });
    },
  },
  {
    name: 'put sets expiresAt to the idle deadline, capped at createdAt + maxLifetime',
    async run({ id, now, tick, put }) {
      const start = now();
      expect(written(await put(id('idle'), '1', { ttl: 30_000 })).expiresAt).toBe(start + 30_000);
      expect(written(await put(id('cap'), '1', { maxLifetime: 5_000 })).expiresAt).toBe(start + 5_000);
      expect(written(await put(id('both'), '1', { ttl: 30_000, maxLifetime: 40_000 })).expiresAt).toBe(start + 30_000);
      tick(20_000);
      // a replace keeps createdAt, so the cap still counts from the first write
      expect(written(await put(id('both'), '2', { ttl: 30_000, maxLifetime: 40_000 })).expiresAt).toBe(start + 40_000);
      expect(written(await put(id('idle'), '2')).expiresAt).toBeNull();
    },
  },
  {
    name: 'touch renews expiresAt of a live record, keeping data, version, createdAt and updatedAt',
    async run({ store, id, now, tick, put }) {
      const record = written(await put(id('touch'), '{"a":1}', { ttl: 10_000 }));
      tick(9_000);
      const touched = await store.touch({ id: id('touch'), now: now(), idleExpiresAt: now() + 10_000, maxLifetime: null });
      expect(touched).toEqual({ ...record, expiresAt: now() + 10_000 });
      tick(9_000);
      expect(await store.get(id('touch'), now())).toEqual(touched);
    },
  },
  {
    name: 'touch never extends a record past createdAt + maxLifetime',
    async run({ store, id, now, tick, put }) {
      const record = written(await put(id('life'), '1', { ttl: 10_000, maxLifetime: 25_000 }));
      const end = record.createdAt + 25_000;
      for (let i = 0; i < 3; i++) {
        tick(8_000);
        await store.touch({ id: id('life'), now: now(), idleExpiresAt: now() + 10_000, maxLifetime: 25_000 });
      }
      expect((await store.get(id('life'), now()))?.expiresAt).toBe(end);
      tick(1_000);
      expect(await store.get(id('life'), now())).toBeUndefined();
    },
  },
  {
    name: 'touch without an idle deadline or a maxLifetime leaves the record without expiry',
    async run({ store, id, now, tick, put }) {
      await put(id('keep'), '1', { ttl: 5_000 });
      const touched = await store.touch({ id: id('keep'), now: now(), idleExpiresAt: null, maxLifetime: null });
      expect(touched?.expiresAt).toBeNull();
      tick(10_000);
      expect(await store.get(id('keep'), now())).toMatchObject({ data: '1', expiresAt: null });
    },
  },
  {
    name: 'touch of a missing record returns undefined and creates nothing',
    async run({ store, id, now }) {
      expect(await store.touch({ id: id('missing'), now: now(), idleExpiresAt: now() + 1000, maxLifetime: null })).toBeUndefined();
      expect(await store.get(id('missing'), now())).toBeUndefined();
    },
  },
  {
    name: 'expired records stop costing memory without being read',
    group: 'sweep',
    async run({ store, id, tick, put, options }) {
      const sweep = options.sweep!;
      for (let i = 0; i < 50; i++) await put(id(`gone-${i}`), String(i), { ttl: 1000 });
      await put(id('stays'), '1', { ttl: 60_000 });
      expect(await sweep.count(store)).toBe(51);
      tick(1000);
      await sweep.purge(store);
      expect(await sweep.count(store)).toBe(1);
    },
  },
];
