/** `ping` and `close`. */
import { expect } from 'vitest';
import type { Case } from './context.js';

export const lifecycle: Case[] = [
  {
    name: 'ping answers true while the backend answers',
    async run({ store }) {
      expect(await store.ping()).toBe(true);
    },
  },
  {
    name: 'close resolves after the store was used',
    async run({ store, id, now, put, close }) {
      await put(id('x'), '1', { ttl: 60_000 });
      await store.get(id('x'), now());
      await expect(close()).resolves.toBeUndefined();
    },
  },
];
