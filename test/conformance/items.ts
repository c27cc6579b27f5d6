/**
 * Items (DESIGN.md §9): each session's log, through the store's `append`, `items`, `pop` and
 * `truncate`. Every rule of the store contract for items, and a concurrency case.
 */
import { expect } from 'vitest';
import { IDEMPOTENCY_KEYS, IDEMPOTENCY_WINDOW, type SessionStore, type StoreAppendInput, type StoreAppendResult } from '../../src/index.js';
import type { Case, CaseContext } from './context.js';
import { written } from './records.js';

/** How a case asks for an append: the `StoreAppendInput` fields, clock, expiry and limits filled in. */
type AppendOptions = Partial<Omit<StoreAppendInput, 'id' | 'items' | 'now'>> & { ttl?: number };

/** `store.append` at the case's clock, with no limit unless given. */
function appender({ store, now }: CaseContext) {
  return (id: string, items: string[], { ttl, ...o }: AppendOptions = {}): Promise<StoreAppendResult> =>
    store.append({
      id,
      items,
      now: now(),
      idleExpiresAt: ttl === undefined ? null : now() + ttl,
      maxLifetime: null,
      maxItems: null,
      maxLogBytes: null,
      dropOldest: false,
      ...o,
    });
}

/** The seqs of the whole log of `id`, oldest first (`undefined` with no session). */
async function seqs(store: SessionStore, id: string, now: number): Promise<number[] | undefined> {
  const page = await store.items({ id, now, limit: 1000, order: 'asc' });
  return page?.items.map((i) => i.seq);
}

/** The item texts `a0`, `a1`… as JSON strings. */
const texts = (n: number, tag = 'a') => Array.from({ length: n }, (_, i) => `"${tag}${i}"`);

export const items: Case[] = [
  {
    name: 'append to a missing session creates it at version 1 with data null and the items at seqs 1..n',
    async run(ctx) {
      const { store, id, now } = ctx;
      expect(await appender(ctx)(id('new'), ['{"role":"user"}', '2'])).toEqual({ ok: true, version: 1, firstSeq: 1, lastSeq: 2, replayed: false });
      const record = { id: id('new'), data: 'null', version: 1, createdAt: now(), updatedAt: now(), expiresAt: null, itemCount: 2, lastSeq: 2 };
      expect(await store.get(id('new'), now())).toEqual(record);
      expect(await store.items({ id: id('new'), now: now(), limit: 10, order: 'asc' })).toEqual({
        items: [{ seq: 1, data: '{"role":"user"}', createdAt: now() }, { seq: 2, data: '2', createdAt: now() }],
        version: 1,
        hasMore: false,
      });
    },
  },
  {
    name: 'each append is one version bump with consecutive seqs, moves updatedAt and keeps createdAt and data',
    async run(ctx) {
      const { store, id, now, tick, put } = ctx;
      const append = appender(ctx);
      const first = written(await put(id('s'), '{"kept":true}'));
      tick(1000);
      expect(await append(id('s'), texts(3))).toEqual({ ok: true, version: 2, firstSeq: 1, lastSeq: 3, replayed: false });
      const at = now();
      tick(1000);
      expect(await append(id('s'), texts(1, 'b'))).toEqual({ ok: true, version: 3, firstSeq: 4, lastSeq: 4, replayed: false });
      expect(await store.get(id('s'), now())).toEqual({ ...first, version: 3, updatedAt: now(), itemCount: 4, lastSeq: 4 });
      const page = await store.items({ id: id('s'), now: now(), limit: 10, order: 'asc' });
      expect(page!.items.map((i) => [i.seq, i.data, i.createdAt])).toEqual([
        [1, '"a0"', at], [2, '"a1"', at], [3, '"a2"', at], [4, '"b0"', now()],
      ]);
    },
  },
  {
    name: 'keeps each item as the exact text it was given',
    async run(ctx) {
      const { store, id, now } = ctx;
      const exotic = ['null', '-1.5e-7', '"ünïcødé 🦜 \\"q\\" \\\\ \\n \u2028"', '{"__proto__":{"x":1},"b":1,"a":[1,[2]]}', `"${'x'.repeat(100_000)}"`];
      await appender(ctx)(id('t'), exotic);
      expect((await store.items({ id: id('t'), now: now(), limit: 10, order: 'asc' }))!.items.map((i) => i.data)).toEqual(exotic);
    },
  },
  {
    name: 'put replaces data and keeps the items, itemCount and lastSeq',
    async run(ctx) {
      const { store, id, now, put } = ctx;
      await appender(ctx)(id('p'), texts(3));
      expect(written(await put(id('p'), '{"state":1}'))).toMatchObject({ data: '{"state":1}', version: 2, itemCount: 3, lastSeq: 3 });
      expect(await seqs(store, id('p'), now())).toEqual([1, 2, 3]);
      expect(await appender(ctx)(id('p'), texts(1))).toMatchObject({ version: 3, firstSeq: 4 });
    },
  },
  {
    name: 'append with ifVersion appends only at that version (0: only when absent), else refuses with nothing changed',
    async run(ctx) {
      const { store, id, now, tick } = ctx;
      const append = appender(ctx);
      expect(await append(id('c'), texts(1), { ifVersion: 2 })).toEqual({ ok: false, reason: 'version', currentVersion: 0, lastSeq: 0 });
      expect(await store.get(id('c'), now())).toBeUndefined();
      expect(await append(id('c'), texts(2), { ifVersion: 0 })).toMatchObject({ ok: true, version: 1 });
      const before = await store.get(id('c'), now());
      tick(1000);
      expect(await append(id('c'), texts(1), { ifVersion: 0 })).toEqual({ ok: false, reason: 'version', currentVersion: 1, lastSeq: 2 });
      expect(await append(id('c'), texts(1), { ifVersion: 2 })).toEqual({ ok: false, reason: 'version', currentVersion: 1, lastSeq: 2 });
      expect(await store.get(id('c'), now())).toEqual(before);
      expect(await seqs(store, id('c'), now())).toEqual([1, 2]);
      expect(await append(id('c'), texts(1), { ifVersion: 1 })).toMatchObject({ ok: true, version: 2, firstSeq: 3 });
    },
  },
  {
    name: 'replaceAfter removes the items after it and appends in the same step; above lastSeq it is refused',
    async run(ctx) {
      const { store, id, now } = ctx;
      const append = appender(ctx);
      await append(id('r'), texts(5));
      expect(await append(id('r'), texts(2, 'b'), { replaceAfter: 3 })).toEqual({ ok: true, version: 2, firstSeq: 4, lastSeq: 5, replayed: false });
      expect((await store.items({ id: id('r'), now: now(), limit: 10, order: 'asc' }))!.items.map((i) => i.data)).toEqual([
        '"a0"', '"a1"', '"a2"', '"b0"', '"b1"',
      ]);
      expect(await append(id('r'), texts(1, 'c'), { replaceAfter: 5 })).toMatchObject({ ok: true, version: 3, firstSeq: 6 });
      const before = await store.get(id('r'), now());
      expect(await append(id('r'), texts(1), { replaceAfter: 7 })).toEqual({ ok: false, reason: 'replaceAfter', currentVersion: 3, lastSeq: 6 });
      expect(await store.get(id('r'), now())).toEqual(before);
      expect(await append(id('r'), texts(1, 'z'), { replaceAfter: 0 })).toMatchObject({ ok: true, version: 4, firstSeq: 1, lastSeq: 1 });
      expect(await store.get(id('r'), now())).toMatchObject({ itemCount: 1, lastSeq: 1 });
      expect(await append(id('none'), texts(1), { replaceAfter: 1 })).toEqual({ ok: false, reason: 'replaceAfter', currentVersion: 0, lastSeq: 0 });
      expect(await store.get(id('none'), now())).toBeUndefined();
    },
  },
  {
    name: 'over maxItems or maxLogBytes (UTF-8 bytes) an append is refused as full with nothing changed',
    async run(ctx) {
      const { store, id, now } = ctx;
      const append = appender(ctx);
      await append(id('f'), texts(3), { maxItems: 3 });
      const before = await store.get(id('f'), now());
      expect(await append(id('f'), texts(1), { maxItems: 3 })).toEqual({ ok: false, reason: 'full', currentVersion: 1, lastSeq: 3 });
      // "é" is 2 bytes in UTF-8: 3 items of 4 bytes are 12, one more "éé" makes 18
      await append(id('b'), ['"é"', '"é"', '"é"'], { maxLogBytes: 17 });
      expect(await append(id('b'), ['"éé"'], { maxLogBytes: 17 })).toMatchObject({ ok: false, reason: 'full' });
      expect(await append(id('b'), ['"éé"'], { maxLogBytes: 18 })).toMatchObject({ ok: true, lastSeq: 4 });
      expect(await store.get(id('f'), now())).toEqual(before);
      expect(await seqs(store, id('f'), now())).toEqual([1, 2, 3]);
      // limits count what is left after replaceAfter
      expect(await append(id('f'), texts(2), { maxItems: 3, replaceAfter: 1 })).toMatchObject({ ok: true, firstSeq: 2, lastSeq: 3 });
    },
  },
  {
    name: 'with dropOldest a full log drops just enough of its oldest items, in the same step',
    async run(ctx) {
      const { store, id, now } = ctx;
      const append = appender(ctx);
      await append(id('d'), texts(4));
      expect(await append(id('d'), texts(2, 'b'), { maxItems: 5, dropOldest: true })).toEqual({ ok: true, version: 2, firstSeq: 5, lastSeq: 6, replayed: false });
      expect(await seqs(store, id('d'), now())).toEqual([2, 3, 4, 5, 6]);
      // "a1".."a3" and "b0","b1" are 4 bytes each (20); "xx" is 4 more: 16 fits only after dropping two
      expect(await append(id('d'), ['"xx"'], { maxLogBytes: 16, dropOldest: true })).toMatchObject({ ok: true, lastSeq: 7 });
      expect(await seqs(store, id('d'), now())).toEqual([4, 5, 6, 7]);
      expect(await store.get(id('d'), now())).toMatchObject({ version: 3, itemCount: 4, lastSeq: 7 });
    },
  },
  {
    name: 'a resent idempotencyKey answers the first result with replayed, whatever the batch or ifVersion, and adds nothing',
    async run(ctx) {
      const { store, id, now, tick } = ctx;
      const append = appender(ctx);
      await append(id('k'), texts(2));
      const first = await append(id('k'), texts(3, 'b'), { idempotencyKey: 'turn-7' });
      expect(first).toEqual({ ok: true, version: 2, firstSeq: 3, lastSeq: 5, replayed: false });
      await append(id('k'), texts(1, 'c'));
      const before = await store.get(id('k'), now());
      tick(1000);
      const again = { ok: true, version: 2, firstSeq: 3, lastSeq: 5, replayed: true };
      expect(await append(id('k'), texts(3, 'b'), { idempotencyKey: 'turn-7' })).toEqual(again);
      expect(await append(id('k'), texts(9, 'z'), { idempotencyKey: 'turn-7', ifVersion: 99, replaceAfter: 50, maxItems: 1 })).toEqual(again);
      expect(await store.get(id('k'), now())).toEqual(before);
      expect(await seqs(store, id('k'), now())).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await append(id('k'), texts(1), { idempotencyKey: 'turn-8' })).toMatchObject({ replayed: false, firstSeq: 7 });
      expect(await append(id('other'), texts(1), { idempotencyKey: 'turn-7' })).toMatchObject({ replayed: false, version: 1 });
    },
  },
  {
    name: 'a refused append remembers no key, and a key is forgotten 24 hours after its append',
    async run(ctx) {
      const { id, tick } = ctx;
      const append = appender(ctx);
      await append(id('w'), texts(1));
      expect(await append(id('w'), texts(1), { idempotencyKey: 'k', ifVersion: 5 })).toMatchObject({ ok: false, reason: 'version' });
      expect(await append(id('w'), texts(1), { idempotencyKey: 'k' })).toMatchObject({ ok: true, replayed: false, firstSeq: 2 });
      tick(IDEMPOTENCY_WINDOW - 1);
      expect(await append(id('w'), texts(1), { idempotencyKey: 'k' })).toMatchObject({ replayed: true, firstSeq: 2 });
      tick(1);
      expect(await append(id('w'), texts(1), { idempotencyKey: 'k' })).toMatchObject({ replayed: false, firstSeq: 3 });
    },
  },
  {
    name: `a key is forgotten after ${IDEMPOTENCY_KEYS} newer keyed appends to its session`,
    async run(ctx) {
      const { id } = ctx;
      const append = appender(ctx);
      await append(id('n'), texts(1), { idempotencyKey: 'oldest' });
      await append(id('n'), texts(1), { idempotencyKey: 'second' });
      for (let i = 0; i < IDEMPOTENCY_KEYS - 2; i++) await append(id('n'), texts(1), { idempotencyKey: `k${i}` });
      expect(await append(id('n'), texts(1), { idempotencyKey: 'oldest' })).toMatchObject({ replayed: true, firstSeq: 1 });
      await append(id('n'), texts(1), { idempotencyKey: 'one-more' });
      expect(await append(id('n'), texts(1), { idempotencyKey: 'second' })).toMatchObject({ replayed: true, firstSeq: 2 });
      expect(await append(id('n'), texts(1), { idempotencyKey: 'oldest' })).toMatchObject({ replayed: false, firstSeq: IDEMPOTENCY_KEYS + 2 });
    },
  },
  {
    name: 'items pages by seq: asc after, desc before, ranges, limit and hasMore',
    async run(ctx) {
      const { store, id, now } = ctx;
      await appender(ctx)(id('i'), texts(10));
      const page = async (q: { after?: number; before?: number; limit: number; order: 'asc' | 'desc' }) => {
        const p = await store.items({ id: id('i'), now: now(), ...q });
        return [p!.items.map((i) => i.seq), p!.hasMore, p!.version];
      };
      expect(await page({ limit: 3, order: 'asc' })).toEqual([[1, 2, 3], true, 1]);
      expect(await page({ after: 3, limit: 3, order: 'asc' })).toEqual([[4, 5, 6], true, 1]);
      expect(await page({ after: 7, limit: 3, order: 'asc' })).toEqual([[8, 9, 10], false, 1]);
      expect(await page({ limit: 3, order: 'desc' })).toEqual([[10, 9, 8], true, 1]);
      expect(await page({ before: 4, limit: 3, order: 'desc' })).toEqual([[3, 2, 1], false, 1]);
      expect(await page({ after: 2, before: 9, limit: 4, order: 'asc' })).toEqual([[3, 4, 5, 6], true, 1]);
      expect(await page({ after: 2, before: 9, limit: 4, order: 'desc' })).toEqual([[8, 7, 6, 5], true, 1]);
      expect(await page({ after: 2, before: 7, limit: 4, order: 'desc' })).toEqual([[6, 5, 4, 3], false, 1]);
      expect(await page({ after: 0, before: 1000, limit: 1000, order: 'asc' })).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], false, 1]);
      expect(await page({ after: 10, limit: 5, order: 'asc' })).toEqual([[], false, 1]);
      expect(await page({ after: 5, before: 6, limit: 5, order: 'desc' })).toEqual([[], false, 1]);
      expect(await page({ after: 6, before: 2, limit: 5, order: 'asc' })).toEqual([[], false, 1]);
      expect(await page({ before: 0, limit: 5, order: 'desc' })).toEqual([[], false, 1]);
    },
  },
  {
    name: 'a page, and the item a pop returns, never change afterwards',
    async run(ctx) {
      const { store, id, now } = ctx;
      const append = appender(ctx);
      await append(id('c'), texts(4));
      const page = await store.items({ id: id('c'), now: now(), limit: 10, order: 'asc' });
      const copy = structuredClone(page);
      const popped = await store.pop({ id: id('c'), now: now() });
      const poppedCopy = structuredClone(popped);
      await append(id('c'), texts(3, 'b'), { replaceAfter: 1 });
      await store.truncate({ id: id('c'), now: now(), before: 3 });
      await store.put({ id: id('c'), data: '1', now: now(), idleExpiresAt: null, maxLifetime: null });
      expect(page).toEqual(copy);
      expect(popped).toEqual(poppedCopy);
    },
  },
  {
    name: 'items is an empty page for a session without items and undefined without a session',
    async run({ store, id, now, put }) {
      await put(id('plain'), '1');
      expect(await store.items({ id: id('plain'), now: now(), limit: 10, order: 'desc' })).toEqual({ items: [], version: 1, hasMore: false });
      expect(await store.items({ id: id('nobody'), now: now(), limit: 10, order: 'asc' })).toBeUndefined();
    },
  },
  {
    name: 'pop removes the newest item: lastSeq and itemCount - 1, version + 1, updatedAt moved, expiry kept',
    async run(ctx) {
      const { store, id, now, tick } = ctx;
      const created = now();
      await appender(ctx)(id('p'), texts(3), { ttl: 60_000 });
      tick(1000);
      expect(await store.pop({ id: id('p'), now: now() })).toEqual({ ok: true, item: { seq: 3, data: '"a2"', createdAt: created }, version: 2 });
      expect(await store.get(id('p'), now())).toMatchObject({ version: 2, updatedAt: now(), expiresAt: created + 60_000, itemCount: 2, lastSeq: 2 });
      expect(await appender(ctx)(id('p'), texts(1, 'b'))).toMatchObject({ firstSeq: 3, version: 3 });
      expect(await seqs(store, id('p'), now())).toEqual([1, 2, 3]);
    },
  },
  {
    name: 'pop of an empty log or a missing session changes nothing; an ifVersion mismatch is refused even then',
    async run(ctx) {
      const { store, id, now, put } = ctx;
      expect(await store.pop({ id: id('none'), now: now() })).toEqual({ ok: true, item: undefined, version: 0 });
      expect(await store.pop({ id: id('none'), now: now(), ifVersion: 1 })).toEqual({ ok: false, currentVersion: 0 });
      const record = written(await put(id('empty'), '1'));
      expect(await store.pop({ id: id('empty'), now: now() })).toEqual({ ok: true, item: undefined, version: 1 });
      expect(await store.pop({ id: id('empty'), now: now(), ifVersion: 2 })).toEqual({ ok: false, currentVersion: 1 });
      expect(await store.get(id('empty'), now())).toEqual(record);
      await appender(ctx)(id('v'), texts(2));
      expect(await store.pop({ id: id('v'), now: now(), ifVersion: 2 })).toEqual({ ok: false, currentVersion: 1 });
      expect(await store.pop({ id: id('v'), now: now(), ifVersion: 1 })).toMatchObject({ ok: true, item: { seq: 2 }, version: 2 });
      expect(await store.pop({ id: id('v'), now: now() })).toMatchObject({ ok: true, item: { seq: 1 }, version: 3 });
      expect(await store.pop({ id: id('v'), now: now() })).toEqual({ ok: true, item: undefined, version: 3 });
      expect(await store.get(id('v'), now())).toMatchObject({ version: 3, itemCount: 0, lastSeq: 0 });
    },
  },
  {
    name: 'truncate after n removes the seqs above n and lowers lastSeq to n; the next append continues at n + 1',
    async run(ctx) {
      const { store, id, now, tick } = ctx;
      await appender(ctx)(id('a'), texts(6), { ttl: 60_000 });
      const expiresAt = now() + 60_000;
      tick(1000);
      expect(await store.truncate({ id: id('a'), now: now(), after: 4 })).toEqual({ ok: true, removed: 2, version: 2 });
      expect(await store.get(id('a'), now())).toMatchObject({ version: 2, updatedAt: now(), expiresAt, itemCount: 4, lastSeq: 4 });
      expect(await store.truncate({ id: id('a'), now: now(), after: 4 })).toEqual({ ok: true, removed: 0, version: 2 });
      expect(await store.truncate({ id: id('a'), now: now(), after: 9 })).toEqual({ ok: true, removed: 0, version: 2 });
      expect(await appender(ctx)(id('a'), texts(1))).toMatchObject({ firstSeq: 5, version: 3 });
      expect(await store.truncate({ id: id('a'), now: now(), after: 0 })).toEqual({ ok: true, removed: 5, version: 4 });
      expect(await store.get(id('a'), now())).toMatchObject({ itemCount: 0, lastSeq: 0 });
    },
  },
  {
    name: 'truncate before n removes the seqs below n and keeps lastSeq; pages start at n',
    async run(ctx) {
      const { store, id, now } = ctx;
      await appender(ctx)(id('b'), texts(6));
      expect(await store.truncate({ id: id('b'), now: now(), before: 4 })).toEqual({ ok: true, removed: 3, version: 2 });
      expect(await store.get(id('b'), now())).toMatchObject({ itemCount: 3, lastSeq: 6 });
      expect(await seqs(store, id('b'), now())).toEqual([4, 5, 6]);
      expect((await store.items({ id: id('b'), now: now(), after: 1, limit: 2, order: 'asc' }))!.items.map((i) => i.seq)).toEqual([4, 5]);
      expect((await store.items({ id: id('b'), now: now(), limit: 5, order: 'desc' }))!.items.map((i) => i.seq)).toEqual([6, 5, 4]);
      expect(await store.truncate({ id: id('b'), now: now(), before: 2 })).toEqual({ ok: true, removed: 0, version: 2 });
      expect(await appender(ctx)(id('b'), texts(1))).toMatchObject({ firstSeq: 7 });
      expect(await store.truncate({ id: id('b'), now: now(), before: 100 })).toEqual({ ok: true, removed: 4, version: 4 });
      expect(await store.get(id('b'), now())).toMatchObject({ itemCount: 0, lastSeq: 7 });
      expect(await appender(ctx)(id('b'), texts(1))).toMatchObject({ firstSeq: 8 });
    },
  },
  {
    name: 'truncate of a missing session removes nothing at version 0; an ifVersion mismatch is refused with nothing changed',
    async run(ctx) {
      const { store, id, now } = ctx;
      expect(await store.truncate({ id: id('none'), now: now(), after: 0 })).toEqual({ ok: true, removed: 0, version: 0 });
      expect(await store.truncate({ id: id('none'), now: now(), before: 5, ifVersion: 3 })).toEqual({ ok: false, currentVersion: 0 });
      await appender(ctx)(id('t'), texts(3));
      expect(await store.truncate({ id: id('t'), now: now(), after: 1, ifVersion: 2 })).toEqual({ ok: false, currentVersion: 1 });
      expect(await store.truncate({ id: id('t'), now: now(), before: 9, ifVersion: 0 })).toEqual({ ok: false, currentVersion: 1 });
      expect(await seqs(store, id('t'), now())).toEqual([1, 2, 3]);
      expect(await store.truncate({ id: id('t'), now: now(), after: 1, ifVersion: 1 })).toEqual({ ok: true, removed: 2, version: 2 });
    },
  },
  {
    name: 'delete removes the items and keys with the session; a new life starts at seq 1',
    async run(ctx) {
      const { store, id, now } = ctx;
      const append = appender(ctx);
      await append(id('d'), texts(3), { idempotencyKey: 'k' });
      expect(await store.delete({ id: id('d'), now: now() })).toMatchObject({ ok: true, record: { version: 1, itemCount: 3, lastSeq: 3 } });
      expect(await store.items({ id: id('d'), now: now(), limit: 10, order: 'asc' })).toBeUndefined();
      expect(await append(id('d'), texts(1), { idempotencyKey: 'k' })).toEqual({ ok: true, version: 1, firstSeq: 1, lastSeq: 1, replayed: false });
      expect(await seqs(store, id('d'), now())).toEqual([1]);
    },
  },
  {
    name: 'an expired session takes its items and keys with it, for items, pop, truncate and append',
    async run(ctx) {
      const { store, id, now, tick } = ctx;
      const append = appender(ctx);
      await append(id('e'), texts(3), { ttl: 10_000, idempotencyKey: 'k' });
      tick(10_000);
      expect(await store.items({ id: id('e'), now: now(), limit: 10, order: 'asc' })).toBeUndefined();
      expect(await store.pop({ id: id('e'), now: now() })).toEqual({ ok: true, item: undefined, version: 0 });
      expect(await store.truncate({ id: id('e'), now: now(), before: 10 })).toEqual({ ok: true, removed: 0, version: 0 });
      expect(await append(id('e'), texts(1), { idempotencyKey: 'k', ifVersion: 0 })).toEqual({ ok: true, version: 1, firstSeq: 1, lastSeq: 1, replayed: false });
      expect(await store.get(id('e'), now())).toMatchObject({ version: 1, createdAt: now(), itemCount: 1, lastSeq: 1 });
    },
  },
  {
    name: 'append renews expiresAt as put does, capped at createdAt + maxLifetime',
    async run(ctx) {
      const { store, id, now, tick } = ctx;
      const start = now();
      const append = appender(ctx);
      await append(id('x'), texts(1), { ttl: 30_000, maxLifetime: 40_000 });
      expect(await store.get(id('x'), now())).toMatchObject({ expiresAt: start + 30_000 });
      tick(20_000);
      await append(id('x'), texts(1), { ttl: 30_000, maxLifetime: 40_000 });
      expect(await store.get(id('x'), now())).toMatchObject({ expiresAt: start + 40_000 });
      await append(id('x'), texts(1));
      expect(await store.get(id('x'), now())).toMatchObject({ expiresAt: null, itemCount: 3 });
    },
  },
  {
    name: 'get, list, meta listings and touch carry itemCount and lastSeq',
    async run(ctx) {
      const { store, id, ns, now } = ctx;
      await appender(ctx)(id('m'), texts(4));
      await store.pop({ id: id('m'), now: now() });
      const counts = { itemCount: 3, lastSeq: 3 };
      expect(await store.get(id('m'), now())).toMatchObject(counts);
      expect(await store.list({ prefix: ns, limit: 10, meta: false, now: now() })).toMatchObject([counts]);
      const [meta] = await store.list({ prefix: ns, limit: 10, meta: true, now: now() });
      expect(meta).toMatchObject(counts);
      expect(meta).not.toHaveProperty('data');
      expect(await store.touch({ id: id('m'), now: now(), idleExpiresAt: now() + 1000, maxLifetime: null })).toMatchObject({ ...counts, version: 2 });
    },
  },
  {
    name: '50 concurrent appends of 3 items end with 150 items at seqs 1..150, each batch contiguous',
    async run(ctx) {
      const { store, id, now } = ctx;
      const append = appender(ctx);
      const results = await Promise.all(Array.from({ length: 50 }, (_, b) => append(id('hot'), texts(3, `b${b}-`))));
      const all = [];
      for (let after = 0; ; ) {
        const page = await store.items({ id: id('hot'), now: now(), after, limit: 40, order: 'asc' });
        all.push(...page!.items);
        if (!page!.hasMore) break;
        after = page!.items[page!.items.length - 1]!.seq;
      }
      expect(all.map((i) => i.seq)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
      expect(new Set(all.map((i) => i.data)).size).toBe(150);
      for (const [b, result] of results.entries()) {
        expect(result).toMatchObject({ ok: true, replayed: false });
        const { firstSeq, lastSeq } = result as { firstSeq: number; lastSeq: number };
        expect(lastSeq - firstSeq).toBe(2);
        expect(all.slice(firstSeq - 1, lastSeq).map((i) => i.data)).toEqual(texts(3, `b${b}-`));
      }
      expect(results.map((r) => (r as { version: number }).version).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await store.get(id('hot'), now())).toMatchObject({ version: 50, itemCount: 150, lastSeq: 150 });
    },
  },
];
