import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/index.js';
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
