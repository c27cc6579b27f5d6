import { describe, expect, it } from 'vitest';
import { LruStore } from '../../adapters/lru.js';
import { FencedError, LeaseHeldError, PayloadTooLargeError, SessionManager } from '../../src/index.js';
import { describeStore } from '../conformance/index.js';

describeStore('LruStore', ({ now }) => new LruStore({ now }), {
  sweep: {
    purge: (store) => (store as LruStore).purgeStale(),
    count: (store) => (store as LruStore).size,
  },
});

describe('LruStore bounds', () => {
  it('evicts the least recently used session past max, and the list index follows', async () => {
    const sessions = new SessionManager({ store: new LruStore({ max: 3 }) });
    for (const id of ['a', 'b', 'c']) await sessions.put(id, id);
    await sessions.get('a'); // a is now the most recently used
    await sessions.put('d', 'd');
    expect(await sessions.get('b')).toBeUndefined();
    expect((await sessions.list()).sessions.map((s) => s.id)).toEqual(['a', 'c', 'd']);
    await sessions.close();
  });

  it('evicts by bytes of stored JSON past maxBytes', async () => {
    const store = new LruStore({ maxBytes: 1000 });
    const sessions = new SessionManager({ store });
    for (let i = 0; i < 5; i++) await sessions.put(`s${i}`, 'x'.repeat(298)); // 300 + 2 bytes each
    expect(store.size).toBe(3);
    expect((await sessions.list()).sessions.map((s) => s.id)).toEqual(['s2', 's3', 's4']);
    await sessions.close();
  });

  it('refuses a session larger than maxBytes and keeps the previous value', async () => {
    const sessions = new SessionManager({ store: new LruStore({ maxBytes: 100 }) });
    await sessions.put('k', 'small');
    const err = await sessions.put('k', 'x'.repeat(200)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(await sessions.get('k')).toMatchObject({ data: 'small', version: 1 });
    expect((await sessions.list()).sessions.map((s) => s.id)).toEqual(['k']);
    await sessions.close();
  });

  it('counts the bytes of each session\'s items, and evicts the items with their session', async () => {
    const store = new LruStore({ maxBytes: 1000 });
    const sessions = new SessionManager({ store });
    await sessions.append('a', ['x'.repeat(98), 'x'.repeat(98), 'x'.repeat(98)]); // 3 × 100 + "null" 4 + id 1
    await sessions.put('b', 'y'.repeat(298)); // 300 + 1
    await sessions.append('a', ['x'.repeat(298)]); // a: 605, b: 301, 906 in all
    expect(store.size).toBe(2);
    await sessions.get('b'); // a is now the least recently used
    await sessions.put('c', 'z'.repeat(98)); // 101 more: a goes
    expect(await sessions.items('a')).toBeUndefined();
    expect((await sessions.list()).sessions.map((s) => s.id)).toEqual(['b', 'c']);
    expect(await sessions.append('a', [1])).toMatchObject({ version: 1, firstSeq: 1 });
    await sessions.close();
  });

  it('pop and truncate give the bytes back', async () => {
    const store = new LruStore({ maxBytes: 1000 });
    const sessions = new SessionManager({ store });
    await sessions.append('a', ['x'.repeat(398), 'x'.repeat(398)]); // 800 + 5
    await sessions.pop('a');
    await sessions.truncate('a', { before: 2 });
    await sessions.put('b', 'y'.repeat(898)); // 901: fits beside a, now 5 bytes
    expect(store.size).toBe(2);
    expect(await sessions.get('a')).toMatchObject({ itemCount: 0, lastSeq: 1 });
    await sessions.close();
  });

  it('refuses an append or a put that makes one session larger than maxBytes, changing nothing', async () => {
    const store = new LruStore({ maxBytes: 300 });
    const sessions = new SessionManager({ store });
    await sessions.append('k', ['x'.repeat(98), 'x'.repeat(98)]);
    await sessions.put('other', 1);
    const err = await sessions.append('k', ['x'.repeat(98)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as Error).message).toBe('session "k" is 305 bytes with its items, over the LruStore\'s maxBytes 300');
    await expect(sessions.put('k', 'y'.repeat(100))).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(sessions.append('new', ['z'.repeat(400)])).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(await sessions.get('k')).toMatchObject({ data: null, version: 1, itemCount: 2, lastSeq: 2 });
    expect((await sessions.items('k'))!.items.map((i) => i.seq)).toEqual([1, 2]);
    expect((await sessions.list()).sessions.map((s) => s.id)).toEqual(['k', 'other']);
    expect(await sessions.append('k', ['x'.repeat(98)], { replaceAfter: 1 })).toMatchObject({ firstSeq: 2, version: 2 });
    await sessions.close();
  });

  it('refuses bad options with a TypeError naming the option', () => {
    expect(() => new LruStore({ max: 0 })).toThrow(/^max must be a whole number from 1 to 16777216; got "0"/);
    expect(() => new LruStore({ maxBytes: -5 })).toThrow(/^maxBytes must be a whole number ≥ 1/);
    expect(() => new LruStore({ sweepInterval: 0 })).toThrow(TypeError);
  });

  it('refuses a max lru-cache could not allocate room for, instead of exhausting memory', () => {
    for (const max of [2 ** 24 + 1, 2 ** 32, Number.MAX_SAFE_INTEGER, 1e308]) {
      expect(() => new LruStore({ max })).toThrow(TypeError);
    }
  });
});

describe('LruStore leases', () => {
  it('keeps leases apart from sessions: evicting a session ends neither its lease nor its fence check', async () => {
    let clock = Date.now();
    const store = new LruStore({ max: 2, now: () => clock });
    const sessions = new SessionManager({ store, now: () => clock });
    const lease = await sessions.acquire('a', { ttl: 1000 });
    await sessions.put('a', 1, { fence: lease.fence });
    for (const id of ['b', 'c', 'd']) await sessions.put(id, id);
    expect(await sessions.get('a')).toBeUndefined(); // evicted
    await expect(sessions.acquire('a')).rejects.toThrow(LeaseHeldError);
    await sessions.put('a', 2, { fence: lease.fence });
    expect(store.leaseCount).toBe(1);
    clock += 1000;
    await expect(sessions.put('a', 3, { fence: lease.fence })).rejects.toThrow(FencedError);
    expect(store.leaseCount).toBe(0); // an expired lease is dropped when read
    await sessions.close();
  });
});
