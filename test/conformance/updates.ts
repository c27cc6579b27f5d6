/**
 * Read-modify-write through a `SessionManager` over the store: what the manager's `update`
 * promises holds only if the store's conditional write is atomic.
 */
import { expect } from 'vitest';
import type { Case } from './context.js';

const increment = (cur: { data: unknown } | undefined) => ((cur?.data as number | undefined) ?? 0) + 1;

export const updates: Case[] = [
  {
    name: 'concurrent updates of one counter, each awaiting in between, lose no increment',
    async run({ manager, id }) {
      const sessions = manager();
      await Promise.all(
        Array.from({ length: 25 }, () =>
          sessions.update(id('counter'), async (cur) => {
            await new Promise((r) => setTimeout(r, Math.random() * 3));
            return increment(cur);
          }, { retries: 100 }),
        ),
      );
      expect(await sessions.get(id('counter'))).toMatchObject({ data: 25, version: 25 });
    },
  },
  {
    name: '1,000 concurrent updates of one id end at exactly 1,000',
    async run({ manager, id }) {
      const sessions = manager();
      // fn awaits, as a real one does (a model call, a fetch), so attempts interleave on every store
      const fn = async (cur: { data: unknown } | undefined) => {
        await new Promise((r) => setImmediate(r));
        return increment(cur);
      };
      await Promise.all(Array.from({ length: 1000 }, () => sessions.update(id('hot'), fn)));
      expect(await sessions.get(id('hot'))).toMatchObject({ data: 1000, version: 1000 });
    },
  },
  {
    name: 'concurrent updates through two stores over the same data lose no increment',
    group: 'shared',
    async run({ manager, id, pair }) {
      const [one, two] = await pair();
      const managers = [manager({}, one), manager({}, two)];
      await Promise.all(Array.from({ length: 40 }, (_, i) => managers[i % 2]!.update(id('both'), increment, { retries: 100 })));
      expect(await managers[0]!.get(id('both'))).toMatchObject({ data: 40, version: 40 });
    },
  },
];
