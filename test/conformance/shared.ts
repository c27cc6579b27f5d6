/** Two stores over the same data, as two processes sharing a backend open them. */
import { expect } from 'vitest';
import type { Case } from './context.js';
import { written } from './records.js';

export const shared: Case[] = [
  {
    name: 'a write through one store is read, listed, touched and removed through the other',
    group: 'shared',
    async run({ id, ns, now, put, pair }) {
      const [one, two] = await pair();
      const record = written(await put(id('x'), '{"from":"one"}', { ttl: 60_000 }, one));
      expect(await two.get(id('x'), now())).toEqual(record);
      expect(await two.list({ prefix: ns, limit: 10, meta: false, now: now() })).toEqual([record]);
      const touched = await two.touch({ id: id('x'), now: now(), idleExpiresAt: now() + 120_000, maxLifetime: null });
      expect(await one.get(id('x'), now())).toEqual(touched);
      expect(await two.delete({ id: id('x'), now: now() })).toMatchObject({ ok: true, record: { version: 1 } });
      expect(await one.get(id('x'), now())).toBeUndefined();
    },
  },
  {
    name: 'of concurrent puts with the same ifVersion through two stores exactly one succeeds',
    group: 'shared',
    async run({ id, put, pair }) {
      const [one, two] = await pair();
      await put(id('race'), '0', {}, one);
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => put(id('race'), String(i), { ifVersion: 1 }, i % 2 ? one : two)));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const versions = (await Promise.all(Array.from({ length: 10 }, (_, i) => put(id('race'), String(i), {}, i % 2 ? one : two))))
        .map((r) => written(r).version)
        .sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: 10 }, (_, i) => i + 3));
    },
  },
];
