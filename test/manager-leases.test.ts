/**
 * The manager's lease rules (DESIGN.md §10), tested once over the in-process stores (the
 * conformance suite checks each store's leases and fences): argument checks, the wait line,
 * signals, withLease's renewal and release, mutual exclusion, and the stale writer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LruStore } from '../adapters/lru.js';
import {
  FencedError,
  InvalidArgumentError,
  LeaseHeldError,
  MemoryStore,
  SessionManager,
  StoreUnavailableError,
  type Lease,
  type SessionStore,
} from '../src/index.js';

let clock = 0;
const open: SessionManager<any, any>[] = [];

/** A manager over `store` on the test's clock (injected), or on the real clock when `real`. */
function setup(store: SessionStore = new MemoryStore({ now: () => clock }), real = false) {
  clock = Date.now();
  const sessions = new SessionManager<any, any>({ store, ...(real ? {} : { now: () => clock }) });
  open.push(sessions);
  return sessions;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

const aborted = (signal: AbortSignal) => new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));

describe('lease arguments', () => {
  it('refuses a ttl outside 1 ms–24 h or not whole, and a negative or fractional wait', async () => {
    const sessions = setup();
    for (const ttl of [0, -1, 86_400_001, 1.5, NaN, '100']) {
      await expect(sessions.acquire('a', { ttl: ttl as number })).rejects.toThrow(InvalidArgumentError);
      await expect(sessions.withLease('a', async () => 1, { ttl: ttl as number })).rejects.toThrow(/^ttl must be a whole number from 1 to 86400000/);
    }
    for (const wait of [-1, 0.5, Infinity]) {
      await expect(sessions.acquire('a', { wait })).rejects.toThrow(/^wait must be a whole number ≥ 0/);
    }
    await expect(sessions.acquire('a b')).rejects.toThrow(/identifier/);
    const lease = await sessions.acquire('a', { ttl: 1, wait: 0 }); // the bounds themselves are fine
    await lease.release();
    const long = await sessions.acquire('a', { ttl: 86_400_000 });
    await expect(long.renew(0)).rejects.toThrow(InvalidArgumentError);
    await long.release();
  });

  it('refuses a fence that is not a whole number ≥ 1 on every write, and stores nothing', async () => {
    const sessions = setup();
    for (const fence of [0, -1, 1.5, NaN, '2', 2 ** 53]) {
      const f = { fence: fence as number };
      await expect(sessions.put('w', 1, f)).rejects.toThrow(/^fence must be a whole number ≥ 1/);
      await expect(sessions.update('w', () => 1, f)).rejects.toThrow(InvalidArgumentError);
      await expect(sessions.clear('w', f)).rejects.toThrow(InvalidArgumentError);
      await expect(sessions.touch('w', f)).rejects.toThrow(InvalidArgumentError);
      await expect(sessions.append('w', [1], f)).rejects.toThrow(InvalidArgumentError);
      await expect(sessions.pop('w', f)).rejects.toThrow(InvalidArgumentError);
      await expect(sessions.truncate('w', { after: 0, ...f })).rejects.toThrow(InvalidArgumentError);
    }
    expect(await sessions.get('w')).toBeUndefined();
  });
});

describe('acquire and the Lease', () => {
  it('is refused while held, also to the holder (not re-entrant), with the holder expiresAt; free again after release', async () => {
    const sessions = setup();
    const lease = await sessions.acquire('x', { ttl: 5000 });
    expect(lease).toMatchObject({ id: 'x', expiresAt: new Date(clock + 5000).toISOString() });
    expect(Number.isSafeInteger(lease.fence) && lease.fence >= 1).toBe(true);
    const err = await sessions.acquire('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeaseHeldError);
    expect(err).toMatchObject({ code: 'lease_held', status: 409, expiresAt: lease.expiresAt });
    expect(await lease.release()).toBe(true);
    expect(await lease.release()).toBe(false);
    await expect(lease.renew()).rejects.toThrow(FencedError);
    expect(lease.signal.aborted).toBe(false); // released, not lost
    const next = await sessions.acquire('x');
    expect(next.fence).toBeGreaterThan(lease.fence);
    await next.release();
  });

  it('renew moves expiresAt, by the ttl it was acquired with or the one given', async () => {
    const sessions = setup();
    const lease = await sessions.acquire('r', { ttl: 1000 });
    clock += 600;
    await lease.renew();
    expect(lease.expiresAt).toBe(new Date(clock + 1000).toISOString());
    await lease.renew(5000);
    expect(lease.expiresAt).toBe(new Date(clock + 5000).toISOString());
    clock += 4999;
    await expect(sessions.acquire('r')).rejects.toThrow(LeaseHeldError);
    clock += 1;
    await expect(lease.renew()).rejects.toThrow(FencedError);
    expect(lease.signal.aborted).toBe(true); // lost
    expect(await lease.release()).toBe(false);
  });

  it('serves waiters of one id in arrival order, each when the one before releases', async () => {
    const sessions = setup();
    const first = await sessions.acquire('q');
    const order: number[] = [];
    const waiters = Array.from({ length: 6 }, (_, i) =>
      sessions.acquire('q', { wait: 60_000 }).then(async (lease) => {
        order.push(i);
        await sleep(1);
        await lease.release();
      }),
    );
    await sleep(20);
    expect(order).toEqual([]);
    await first.release();
    await Promise.all(waiters);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('a newcomer does not jump the line: with waiters ahead, wait 0 fails even when the store has just freed the lease', async () => {
    const store = new MemoryStore({ now: () => clock });
    const sessions = setup(store);
    const held = await sessions.acquire('j');
    const ahead = sessions.acquire('j', { wait: 60_000 });
    await sleep(10);
    await store.release({ id: 'j', now: clock, fence: held.fence }); // freed behind the manager's back: no hand-over
    await expect(sessions.acquire('j')).rejects.toThrow(LeaseHeldError);
    const next = await ahead; // the waiter ahead polls and takes it
    expect(next.fence).toBeGreaterThan(held.fence);
    await next.release();
  });

  it('gives up after wait ms with LeaseHeldError, and a later waiter still gets the lease', async () => {
    const sessions = setup();
    const held = await sessions.acquire('g');
    const err = await sessions.acquire('g', { wait: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeaseHeldError);
    expect((err as LeaseHeldError).expiresAt).toBe(held.expiresAt);
    const later = sessions.acquire('g', { wait: 60_000 });
    await held.release();
    await (await later).release();
  });

  it('an aborted signal rejects with its reason, and the waiter leaves the line', async () => {
    const sessions = setup();
    await expect(sessions.acquire('s', { signal: AbortSignal.abort('early') })).rejects.toBe('early');
    const held = await sessions.acquire('s');
    const controller = new AbortController();
    const cancelled = sessions.acquire('s', { wait: 60_000, signal: controller.signal });
    const behind = sessions.acquire('s', { wait: 60_000 });
    controller.abort('stop');
    await expect(cancelled).rejects.toBe('stop');
    await held.release();
    const next = await behind;
    expect(next.fence).toBeGreaterThan(held.fence);
    await next.release();
  });

  it('a waiter in another manager (another process) gets the lease by polling, after a release or an expiry', async () => {
    const store = new MemoryStore();
    const here = setup(store, true);
    const there = setup(store, true);
    const held = await here.acquire('p', { ttl: 60_000 });
    const waiting = there.acquire('p', { wait: 60_000 });
    await sleep(30);
    await held.release();
    const next = await waiting;
    expect(next.fence).toBeGreaterThan(held.fence);
    const expiring = await here.acquire('p2', { ttl: 50 }); // never released: it expires
    const last = await there.acquire('p2', { wait: 60_000 });
    expect(last.fence).toBeGreaterThan(expiring.fence);
    await Promise.all([next.release(), last.release()]);
  });

  it('the session need not exist, and acquire does not create it', async () => {
    const sessions = setup();
    const lease = await sessions.acquire('none');
    expect(await sessions.get('none')).toBeUndefined();
    await sessions.put('none', 'v', { fence: lease.fence });
    expect((await sessions.get('none'))?.data).toBe('v');
    await lease.release();
  });

  it('lease.signal aborts when expiresAt passes without a renewal', async () => {
    const sessions = setup(new MemoryStore(), true);
    const lease = await sessions.acquire('e', { ttl: 30 });
    expect(await aborted(lease.signal)).toBeInstanceOf(FencedError);
  });
});

describe('withLease', () => {
  it('renews while fn runs, so fenced writes after several ttls still land; settles as fn did and releases', async () => {
    let renewals = 0;
    const store = new (class extends MemoryStore {
      override renew(input: Parameters<SessionStore['renew']>[0]) {
        renewals++;
        return super.renew(input);
      }
    })();
    const sessions = setup(store, true);
    const result = await sessions.withLease(
      'w',
      async (lease) => {
        await sleep(1000);
        expect(lease.signal.aborted).toBe(false);
        return (await sessions.put('w', 'done', { fence: lease.fence })).version;
      },
      { ttl: 300 },
    );
    expect(result).toBe(1);
    expect(renewals).toBeGreaterThanOrEqual(2);
    await (await sessions.acquire('w')).release(); // released
  });

  it('releases when fn throws, and rejects with what fn threw', async () => {
    const sessions = setup();
    const boom = new Error('boom');
    await expect(sessions.withLease('t', async () => { throw boom; })).rejects.toBe(boom);
    await expect(sessions.withLease('t', () => { throw boom; })).rejects.toBe(boom);
    await (await sessions.acquire('t')).release();
  });

  it('aborts lease.signal when a renewal finds the lease lost (FencedError)', async () => {
    const store = new MemoryStore();
    const sessions = setup(store, true);
    const reason = await sessions.withLease(
      'l',
      async (lease) => {
        await store.release({ id: 'l', now: Date.now(), fence: lease.fence }); // taken away behind its back
        return aborted(lease.signal);
      },
      { ttl: 60 },
    );
    expect(reason).toBeInstanceOf(FencedError);
  });

  it('aborts lease.signal when a renewal fails because the store is unavailable', async () => {
    const down = new StoreUnavailableError('the store is down');
    const store = new (class extends MemoryStore {
      override renew() {
        return Promise.reject(down);
      }
    })();
    const sessions = setup(store, true);
    const reason = await sessions.withLease('u', async (lease) => aborted(lease.signal), { ttl: 60 });
    expect(reason).toBe(down);
  });
});

describe('mutual exclusion and fencing', () => {
  it('8 concurrent withLease loops × 25 on a counter with fenced writes: 200, and no two sections overlap', async () => {
    const sessions = setup(new MemoryStore(), true);
    const log: string[] = [];
    const loop = async (worker: number) => {
      for (let i = 0; i < 25; i++) {
        await sessions.withLease(
          'counter',
          async ({ fence }) => {
            log.push(`enter ${worker} ${fence}`);
            const n = ((await sessions.get('counter'))?.data as number | undefined) ?? 0;
            await sleep(1 + Math.random() * 2);
            await sessions.put('counter', n + 1, { fence });
            log.push(`leave ${worker} ${fence}`);
          },
          { wait: 60_000 },
        );
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => loop(w)));
    expect((await sessions.get('counter'))?.data).toBe(200);
    expect(log).toHaveLength(400);
    const fences: number[] = [];
    for (let i = 0; i < log.length; i += 2) {
      const [, worker, fence] = log[i]!.split(' ');
      expect(log[i]).toMatch(/^enter /);
      expect(log[i + 1]).toBe(`leave ${worker} ${fence}`);
      fences.push(Number(fence));
    }
    expect(fences).toEqual([...fences].sort((a, b) => a - b));
    expect(new Set(fences).size).toBe(200);
  });

  for (const [name, make] of [
    ['MemoryStore', () => new MemoryStore({ now: () => clock })],
    ['LruStore', () => new LruStore({ now: () => clock, max: 2 })],
  ] as const) {
    it(`${name}: a holder stalled past its ttl writes with its old fence — FencedError and nothing changed, 20 times`, async () => {
      const sessions = setup(make());
      const other = setup(sessions.store); // a second worker sharing the store
      clock = Date.now();
      let stale = 0;
      for (let round = 0; round < 20; round++) {
        const id = `job-${round % 3}`;
        const first: Lease = await sessions.acquire(id, { ttl: 1000 });
        await sessions.append(id, [`first ${round}`], { fence: first.fence });
        clock += 1000; // the holder stalls past its ttl
        const second = await other.acquire(id, { ttl: 1000 });
        expect(second.fence).toBeGreaterThan(first.fence);
        await other.put(id, { by: 'second', round }, { fence: second.fence });
        const before = await other.get(id);
        const page = await other.items(id, { limit: 1000 });
        const writes = [
          () => sessions.put(id, { by: 'first', round }, { fence: first.fence }),
          () => sessions.update(id, () => ({ by: 'first' }), { fence: first.fence }),
          () => sessions.append(id, ['stale'], { fence: first.fence }),
          () => sessions.pop(id, { fence: first.fence }),
          () => sessions.truncate(id, { after: 0, fence: first.fence }),
          () => sessions.touch(id, { ttl: 5, fence: first.fence }),
          () => sessions.clear(id, { fence: first.fence }),
        ];
        for (const write of writes) {
          const result = await write().then(() => 'landed', (e: unknown) => e);
          if (result === 'landed') stale++;
          expect(result).toBeInstanceOf(FencedError);
          expect(result).toMatchObject({ code: 'fenced', status: 409 });
        }
        expect(await other.get(id)).toEqual(before);
        expect(await other.items(id, { limit: 1000 })).toEqual(page);
        await expect(first.renew()).rejects.toThrow(FencedError);
        expect(await first.release()).toBe(false);
        expect(await second.release()).toBe(true);
      }
      expect(stale).toBe(0);
    });
  }
});
