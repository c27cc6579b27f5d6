/**
 * Leases and fences (DESIGN.md §10), through the store's `acquire`, `renew` and `release`, and
 * the `fence` of every write: one live lease per id, fences that only grow, and writes with a
 * stale fence refused with nothing changed.
 */
import { expect } from 'vitest';
import { FencedError, type SessionStore, type StoreAcquireResult } from '../../src/index.js';
import type { Case, CaseContext } from './context.js';
import { written } from './records.js';

/** `store.acquire` at the case's clock. */
function acquirer({ store, now }: CaseContext) {
  return (id: string, ttl = 1000, target: SessionStore = store): Promise<StoreAcquireResult> => target.acquire({ id, now: now(), ttl });
}

/** The fence of a lease that must have been granted. */
function granted(result: StoreAcquireResult): number {
  if (!result.ok) throw new Error(`expected a lease, got one held until ${result.expiresAt}`);
  return result.fence;
}

/** A session `id` with data and three items, at version 2. */
async function seeded({ store, now, put }: CaseContext, id: string): Promise<void> {
  await put(id, '{"v":1}');
  await store.append({ id, items: ['1', '2', '3'], now: now(), idleExpiresAt: null, maxLifetime: null, maxItems: null, maxLogBytes: null, dropOldest: false });
}

/** Every write of the contract on `id` with `fence`, each by name. */
function writes({ store, now }: CaseContext, id: string, fence: number | undefined) {
  const f = fence === undefined ? {} : { fence };
  return {
    put: () => store.put({ id, data: '"new"', now: now(), idleExpiresAt: null, maxLifetime: null, ...f }),
    touch: () => store.touch({ id, now: now(), idleExpiresAt: now() + 5, maxLifetime: null, ...f }),
    append: () => store.append({ id, items: ['9'], now: now(), idleExpiresAt: null, maxLifetime: null, maxItems: null, maxLogBytes: null, dropOldest: false, ...f }),
    pop: () => store.pop({ id, now: now(), ...f }),
    truncate: () => store.truncate({ id, now: now(), after: 1, ...f }),
    delete: () => store.delete({ id, now: now(), ...f }),
  };
}

/** The session and its whole log, to compare before and after. */
async function snapshot({ store, now }: CaseContext, id: string) {
  return { record: await store.get(id, now()), items: await store.items({ id, now: now(), limit: 1000, order: 'asc' }) };
}

export const leases: Case[] = [
  {
    name: 'acquire takes a free lease with a safe-integer fence ≥ 1, expiring at now + ttl',
    async run(ctx) {
      const result = await acquirer(ctx)(ctx.id('a'), 1500);
      expect(result).toEqual({ ok: true, fence: expect.any(Number), expiresAt: ctx.now() + 1500 });
      expect(Number.isSafeInteger(granted(result)) && granted(result) >= 1).toBe(true);
    },
  },
  {
    name: 'acquire is refused while a lease is live, with the holder\'s expiresAt; free again once it expires',
    async run(ctx) {
      const acquire = acquirer(ctx);
      const first = granted(await acquire(ctx.id('h'), 1000));
      const held = ctx.now() + 1000;
      ctx.tick(999);
      expect(await acquire(ctx.id('h'), 5000)).toEqual({ ok: false, expiresAt: held });
      ctx.tick(1);
      const second = await acquire(ctx.id('h'), 1000);
      expect(second).toEqual({ ok: true, fence: expect.any(Number), expiresAt: ctx.now() + 1000 });
      expect(granted(second)).toBeGreaterThan(first);
    },
  },
  {
    name: 'release ends the live lease (true) and the lease is free again; releasing it again is false',
    async run(ctx) {
      const { store, id, now } = ctx;
      const fence = granted(await acquirer(ctx)(id('r')));
      expect(await store.release({ id: id('r'), now: now(), fence })).toBe(true);
      expect(await store.release({ id: id('r'), now: now(), fence })).toBe(false);
      expect(granted(await acquirer(ctx)(id('r')))).toBeGreaterThan(fence);
    },
  },
  {
    name: 'fences strictly increase per id across release, expiry and clear of the session',
    async run(ctx) {
      const { store, id, now, tick, put } = ctx;
      const acquire = acquirer(ctx);
      const fences: number[] = [];
      for (let round = 0; round < 6; round++) {
        const fence = granted(await acquire(id('f'), 100));
        fences.push(fence);
        await put(id('f'), String(round), { ttl: 50 });
        if (round % 3 === 0) expect(await store.release({ id: id('f'), now: now(), fence })).toBe(true);
        if (round % 3 === 1) expect(await store.delete({ id: id('f'), now: now() })).toMatchObject({ ok: true });
        if (round % 3 === 1) tick(100); // the session was cleared; now the lease expires too
        if (round % 3 === 2) tick(100); // session and lease both expire
        granted(await acquire(id('other'), 1)); // another id's leases do not matter
        tick(1);
      }
      expect(fences).toEqual([...fences].sort((a, b) => a - b));
      expect(new Set(fences).size).toBe(fences.length);
    },
  },
  {
    name: 'of 10 concurrent acquires of one id exactly one gets the lease',
    async run(ctx) {
      const results = await Promise.all(Array.from({ length: 10 }, () => acquirer(ctx)(ctx.id('c'))));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    },
  },
  {
    name: 'renew moves a live lease\'s expiry to now + ttl; the lease stays held until then',
    async run(ctx) {
      const { store, id, now, tick } = ctx;
      const acquire = acquirer(ctx);
      const fence = granted(await acquire(id('n'), 1000));
      tick(900);
      expect(await store.renew({ id: id('n'), now: now(), fence, ttl: 1000 })).toBe(now() + 1000);
      tick(999);
      expect(await acquire(id('n'))).toEqual({ ok: false, expiresAt: now() + 1 });
      await ctx.put(id('n'), '1', { fence });
      expect((await store.get(id('n'), now()))?.data).toBe('1');
    },
  },
  {
    name: 'renew and release of a lost lease (expired, released, or superseded) answer undefined and false and change nothing',
    async run(ctx) {
      const { store, id, now, tick } = ctx;
      const acquire = acquirer(ctx);
      const old = granted(await acquire(id('l'), 100));
      tick(100);
      expect(await store.renew({ id: id('l'), now: now(), fence: old, ttl: 1000 })).toBeUndefined();
      expect(await store.release({ id: id('l'), now: now(), fence: old })).toBe(false);
      const live = granted(await acquire(id('l'), 1000));
      const until = now() + 1000;
      expect(await store.renew({ id: id('l'), now: now(), fence: old, ttl: 5000 })).toBeUndefined();
      expect(await store.release({ id: id('l'), now: now(), fence: old })).toBe(false);
      expect(await acquire(id('l'))).toEqual({ ok: false, expiresAt: until });
      expect(await store.release({ id: id('l'), now: now(), fence: live })).toBe(true);
      expect(await store.renew({ id: id('l'), now: now(), fence: live, ttl: 1000 })).toBeUndefined();
    },
  },
  {
    name: 'every write with a stale fence rejects FencedError and changes nothing (put, touch, delete, append, pop, truncate)',
    async run(ctx) {
      const { store, id, now, tick } = ctx;
      await seeded(ctx, id('s'));
      const old = granted(await acquirer(ctx)(id('s'), 100));
      tick(100); // the old holder stalls past its ttl…
      const live = granted(await acquirer(ctx)(id('s'), 1000)); // …and another takes over
      const before = await snapshot(ctx, id('s'));
      for (const [name, write] of Object.entries(writes(ctx, id('s'), old))) {
        await expect(write(), name).rejects.toBeInstanceOf(FencedError);
        await expect(writes(ctx, id('s'), old)[name as 'put'](), name).rejects.toMatchObject({ code: 'fenced', status: 409 });
      }
      expect(await snapshot(ctx, id('s'))).toEqual(before);
      await store.release({ id: id('s'), now: now(), fence: live });
      for (const [name, write] of Object.entries(writes(ctx, id('s'), live))) {
        await expect(write(), `${name} after release`).rejects.toBeInstanceOf(FencedError);
      }
      expect(await snapshot(ctx, id('s'))).toEqual(before);
    },
  },
  {
    name: 'a stale fence is refused before ifVersion is looked at',
    async run(ctx) {
      const { store, id, now, tick } = ctx;
      await seeded(ctx, id('o'));
      const old = granted(await acquirer(ctx)(id('o'), 10));
      tick(10);
      await expect(store.put({ id: id('o'), data: '1', now: now(), idleExpiresAt: null, maxLifetime: null, ifVersion: 99, fence: old })).rejects.toBeInstanceOf(FencedError);
      await expect(store.pop({ id: id('o'), now: now(), ifVersion: 99, fence: old })).rejects.toBeInstanceOf(FencedError);
      await expect(store.delete({ id: id('o'), now: now(), ifVersion: 99, fence: old })).rejects.toBeInstanceOf(FencedError);
    },
  },
  {
    name: 'every write with the live fence applies (put, touch, append, pop, truncate, delete)',
    async run(ctx) {
      const { store, id, now } = ctx;
      await seeded(ctx, id('w'));
      const fence = granted(await acquirer(ctx)(id('w')));
      const w = writes(ctx, id('w'), fence);
      expect(written(await w.put())).toMatchObject({ data: '"new"', version: 3 });
      expect(await w.touch()).toMatchObject({ expiresAt: now() + 5 });
      expect(await w.append()).toMatchObject({ ok: true, version: 4, firstSeq: 4 });
      expect(await w.pop()).toMatchObject({ ok: true, item: { seq: 4, data: '9' }, version: 5 });
      expect(await w.truncate()).toEqual({ ok: true, removed: 2, version: 6 });
      expect(written(await w.delete())).toMatchObject({ version: 6 });
      expect(await store.get(id('w'), now())).toBeUndefined();
    },
  },
  {
    name: 'writes without a fence are not checked while a lease is held',
    async run(ctx) {
      const { store, id, now } = ctx;
      await seeded(ctx, id('u'));
      granted(await acquirer(ctx)(id('u')));
      const w = writes(ctx, id('u'), undefined);
      expect(written(await w.put())).toMatchObject({ version: 3 });
      expect(await w.touch()).toMatchObject({ version: 3 });
      expect(await w.append()).toMatchObject({ ok: true, version: 4 });
      expect(await w.pop()).toMatchObject({ ok: true, version: 5 });
      expect(await w.truncate()).toMatchObject({ ok: true, version: 6 });
      expect(await w.delete()).toMatchObject({ ok: true });
      expect(await store.get(id('u'), now())).toBeUndefined();
    },
  },
  {
    name: 'the session need not exist: acquire does not create it, a fenced put does, and its delete does not end the lease',
    async run(ctx) {
      const { store, id, now, ns } = ctx;
      const fence = granted(await acquirer(ctx)(id('x'), 1000));
      expect(await store.get(id('x'), now())).toBeUndefined();
      expect(await store.list({ prefix: ns, limit: 10, meta: true, now: now() })).toEqual([]);
      expect(written(await writes(ctx, id('x'), fence).put())).toMatchObject({ version: 1 });
      expect(written(await writes(ctx, id('x'), fence).delete())).toMatchObject({ version: 1 });
      expect(await acquirer(ctx)(id('x'))).toEqual({ ok: false, expiresAt: now() + 1000 });
      expect(await writes(ctx, id('x'), fence).append()).toMatchObject({ ok: true, version: 1 });
    },
  },
  {
    name: 'a resent keyed append is answered as a replay even with a stale fence',
    async run(ctx) {
      const { store, id, now, tick } = ctx;
      const fence = granted(await acquirer(ctx)(id('k'), 10));
      const input = { id: id('k'), items: ['1'], idleExpiresAt: null, maxLifetime: null, maxItems: null, maxLogBytes: null, dropOldest: false, idempotencyKey: 'k1', fence };
      expect(await store.append({ ...input, now: now() })).toMatchObject({ ok: true, replayed: false });
      tick(10);
      expect(await store.append({ ...input, now: now() })).toEqual({ ok: true, version: 1, firstSeq: 1, lastSeq: 1, replayed: true });
    },
  },
  {
    name: 'two stores over one backend share leases and fences: one holder, and the other\'s stale fence is refused',
    group: 'shared',
    async run(ctx) {
      const { id, now, tick } = ctx;
      const [a, b] = await ctx.pair();
      const acquire = acquirer(ctx);
      const first = granted(await acquire(id('p'), 100, a));
      expect(await acquire(id('p'), 100, b)).toEqual({ ok: false, expiresAt: now() + 100 });
      tick(100);
      const second = granted(await acquire(id('p'), 100, b));
      expect(second).toBeGreaterThan(first);
      await expect(a.put({ id: id('p'), data: '1', now: now(), idleExpiresAt: null, maxLifetime: null, fence: first })).rejects.toBeInstanceOf(FencedError);
      expect(await b.release({ id: id('p'), now: now(), fence: second })).toBe(true);
      expect(granted(await acquire(id('p'), 100, a))).toBeGreaterThan(second);
    },
  },
];
