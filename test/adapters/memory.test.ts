import { describe, expect, it } from 'vitest';
import { MemoryStore, SessionManager } from '../../src/index.js';
import { describeStore } from '../conformance/index.js';

describeStore('MemoryStore', ({ now }) => new MemoryStore({ now }), {
  sweep: {
    purge: (store) => (store as MemoryStore).purgeStale(),
    count: (store) => (store as MemoryStore).size,
  },
});

describe('MemoryStore options', () => {
  it('refuses a sweepInterval longer than a timer can wait (Node would fire it every 1 ms)', () => {
    expect(() => new MemoryStore({ sweepInterval: 2 ** 31 })).toThrow(/^sweepInterval must be at most 2147483647/);
    expect(() => new MemoryStore({ sweepInterval: 1e308 })).toThrow(TypeError);
    expect(() => new MemoryStore({ sweepInterval: NaN })).toThrow(/^sweepInterval must be a positive number/);
    new MemoryStore({ sweepInterval: 2 ** 31 - 1 }).close();
  });
});

describe('MemoryStore leases', () => {
  it('drops expired leases in the sweep, so no id keeps a record once its lease is gone', async () => {
    let clock = Date.now();
    const store = new MemoryStore({ now: () => clock });
    const sessions = new SessionManager({ store, now: () => clock });
    for (let i = 0; i < 1000; i++) await sessions.acquire(`id-${i}`, { ttl: 100 + (i % 10) });
    expect(store.leaseCount).toBe(1000);
    clock += 105;
    store.purgeStale();
    expect(store.leaseCount).toBe(400); // ttl 106–109 left
    clock += 5;
    store.purgeStale();
    expect(store.leaseCount).toBe(0);
    const next = await sessions.acquire('id-0');
    expect(next.fence).toBe(1001); // one counter for the store: fences keep growing
    await next.release();
    await sessions.close();
  });
});
