/** `list`: order, `after`, `prefix`, `limit`, `meta`, and a walk under concurrent writes. */
import { expect } from 'vitest';
import type { SessionRecord, SessionStore } from '../../src/index.js';
import type { Case, CaseContext } from './context.js';
import { written } from './records.js';

/** Every id under `prefix`, walked page by page with `after` as the manager does. */
async function walk(ctx: CaseContext, prefix: string, limit: number, between?: (page: number) => Promise<unknown>, store: SessionStore = ctx.store): Promise<string[]> {
  const seen: string[] = [];
  let after: string | undefined;
  for (let page = 0; ; page++) {
    const records: SessionRecord[] = await store.list({ after, prefix, limit, meta: false, now: ctx.now() });
    expect(records.length).toBeLessThanOrEqual(limit);
    seen.push(...records.map((r) => r.id));
    if (records.length < limit) return seen;
    after = records[records.length - 1]!.id;
    await between?.(page);
  }
}

export const listing: Case[] = [
  {
    name: 'list returns live records in code-unit order of id',
    async run(ctx) {
      const names = ['b', 'a', 'B', 'A', '0', '9', '-', '.x', ':', '@', '_', '~', 'aa', 'a-', 'a.b', 'Z'];
      for (const name of names) await ctx.put(ctx.id(name), JSON.stringify(name));
      const listed = await ctx.store.list({ prefix: ctx.ns, limit: 100, meta: false, now: ctx.now() });
      expect(listed.map((r) => r.id)).toEqual(names.map((n) => ctx.id(n)).sort());
      for (const r of listed) expect(r.data).toBe(JSON.stringify(r.id.slice(ctx.ns.length)));
    },
  },
  {
    name: 'list with after starts strictly after that id, and limit bounds every page',
    async run(ctx) {
      const ids = Array.from({ length: 23 }, (_, i) => ctx.id(`p${String(i).padStart(3, '0')}`));
      for (const id of ids) await ctx.put(id);
      expect(await walk(ctx, ctx.ns, 5)).toEqual(ids);
      expect(await walk(ctx, ctx.ns, 1)).toEqual(ids);
      const rest = await ctx.store.list({ after: ids[20], prefix: ctx.ns, limit: 100, meta: false, now: ctx.now() });
      expect(rest.map((r) => r.id)).toEqual(ids.slice(21));
      const between = await ctx.store.list({ after: `${ids[3]}~`, prefix: ctx.ns, limit: 2, meta: false, now: ctx.now() });
      expect(between.map((r) => r.id)).toEqual(ids.slice(4, 6));
    },
  },
  {
    name: 'list keeps only ids that start with prefix, also when after lies outside it',
    async run({ store, ns, now, put }) {
      for (const name of ['user-1:a', 'user-1:b', 'user-10:a', 'user-2:a', 'user-1', 'user-', 'a']) await put(ns + name);
      const ids = async (prefix: string, after?: string) =>
        (await store.list({ after, prefix: ns + prefix, limit: 100, meta: false, now: now() })).map((r) => r.id.slice(ns.length));
      expect(await ids('user-1:')).toEqual(['user-1:a', 'user-1:b']);
      // code-unit order: '0' (0x30) sorts before ':' (0x3a)
      expect(await ids('user-1')).toEqual(['user-1', 'user-10:a', 'user-1:a', 'user-1:b']);
      expect(await ids('nobody')).toEqual([]);
      expect(await ids('user-1', `${ns}a`)).toEqual(['user-1', 'user-10:a', 'user-1:a', 'user-1:b']);
      expect(await ids('user-1', `${ns}user-10:a`)).toEqual(['user-1:a', 'user-1:b']);
      expect(await ids('user-1', `${ns}z`)).toEqual([]);
    },
  },
  {
    name: 'list with meta leaves data out of every record and keeps the rest',
    async run({ store, ns, id, now, put }) {
      const a = written(await put(id('a'), JSON.stringify({ big: 'x'.repeat(1000) }), { ttl: 60_000 }));
      const b = written(await put(id('b'), '2'));
      const listed = await store.list({ prefix: ns, limit: 10, meta: true, now: now() });
      for (const r of listed) expect(r.data).toBeUndefined();
      const { data: _a, ...metaA } = a;
      const { data: _b, ...metaB } = b;
      expect(listed).toEqual([metaA, metaB]);
    },
  },
  {
    name: 'a walk with after sees every record that existed for the whole walk exactly once, despite concurrent writes',
    async run(ctx) {
      const name = (n: number) => ctx.id(`s${String(n).padStart(3, '0')}`);
      const stable = Array.from({ length: 60 }, (_, i) => name(i * 2));
      for (const id of stable) await ctx.put(id, '0');
      const seen = await walk(ctx, ctx.ns, 7, (n) =>
        // between pages: create ahead and behind, delete others, and rewrite stable ones
        Promise.all([
          ctx.put(name(n * 2 + 1), String(n)),
          ctx.put(name(120 - n * 2 + 1), String(n)),
          ctx.put(ctx.id('a-before'), String(n)),
          ctx.store.delete({ id: name(n * 2 - 1), now: ctx.now() }),
          ctx.put(stable[(n * 5) % stable.length]!, String(n)),
        ]),
      );
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of stable) expect(seen).toContain(id);
      expect(seen).toEqual([...seen].sort());
    },
  },
];

export { walk };
