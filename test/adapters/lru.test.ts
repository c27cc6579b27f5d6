import { describe, expect, it } from 'vitest';
import { LruStore } from '../../adapters/lru.js';
import { PayloadTooLargeError, SessionManager } from '../../src/index.js';
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
