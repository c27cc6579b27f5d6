import { MemoryStore } from '../../src/index.js';
import { describeStore } from '../conformance/index.js';

describeStore('MemoryStore', ({ now }) => new MemoryStore({ now }), {
  sweep: {
    purge: (store) => (store as MemoryStore).purgeStale(),
    count: (store) => (store as MemoryStore).size,
  },
});
