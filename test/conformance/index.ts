/**
 * `agent-sessions/conformance`: the shared conformance suite. Every case of the store
 * contract, registered with vitest against any `SessionStore`: the store's own guarantees
 * are checked by calling the store itself; read-modify-write and a random-operations test
 * (fast-check, against a simple model) go through a `SessionManager` over it. Every store of
 * this package runs it; so can yours (peer dependencies: `vitest`, `fast-check`).
 *
 * The cases live in one file per feature, each a table of {@link Case}s; `describeStore`
 * registers them, switching optional groups on by its options.
 *
 * @module
 */
import { describe, it } from 'vitest';
import { conditions } from './conditions.js';
import { runCase, type Case, type StoreFactory } from './context.js';
import { expiry } from './expiry.js';
import { items } from './items.js';
import { leases } from './leases.js';
import { lifecycle } from './lifecycle.js';
import { listing } from './listing.js';
import { model } from './model.js';
import type { SuiteOptions } from './options.js';
import { records } from './records.js';
import { removal } from './removal.js';
import { shared } from './shared.js';
import { updates } from './updates.js';

export type { Case, CaseContext, StoreContext, StoreFactory, WriteOptions } from './context.js';
export type { SuiteOptions, SweepHooks } from './options.js';
export { runCase };

/** Every case of the suite by feature, in the order they are registered. */
export const features: Record<string, Case[]> = {
  'get and put': records,
  'versions and conditions': conditions,
  delete: removal,
  expiry,
  list: listing,
  items,
  leases,
  'shared backend': shared,
  'update through a manager': updates,
  'ping and close': lifecycle,
  model,
};

/** Whether `options` switch on the group of case `c` (core cases always run). */
export function enabled(c: Case, options: SuiteOptions): boolean {
  return c.group === undefined || options[c.group] !== undefined;
}

/**
 * Registers every conformance case for the store that `factory` makes, in a vitest
 * `describe` block named after the store, one `describe` per feature. Each case gets a
 * fresh store, a clock of its own and ids under a random prefix.
 *
 * @param name - the store's name, for the test report
 * @param factory - makes a fresh, empty store for every case (a new key prefix on a shared server)
 * @param options - optional groups (`sweep`, `shared`) and the model test's size
 * @example
 * ```ts
 * // test/my-store.test.ts, run by vitest
 * import { describeStore } from 'agent-sessions/conformance';
 * import { MyStore } from '../src/my-store.js';
 *
 * describeStore('MyStore', ({ now }) => new MyStore({ now }));
 * ```
 */
export function describeStore(name: string, factory: StoreFactory, options: SuiteOptions = {}): void {
  describe(`${name} conformance`, () => {
    for (const [feature, cases] of Object.entries(features)) {
      const on = cases.filter((c) => enabled(c, options));
      if (on.length === 0) continue;
      describe(feature, () => {
        for (const c of on) it(c.name, () => runCase(c, factory, options));
      });
    }
  });
}
