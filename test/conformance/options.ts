/** The switches and hooks of {@link describeStore}. */
import type { SessionStore } from '../../src/index.js';
import type { StoreContext } from './context.js';

/** How the suite checks that expired sessions stop costing memory without being read. */
export interface SweepHooks {
  /** Removes expired sessions now, as the store's own timer would. */
  purge(store: SessionStore): void | Promise<void>;
  /** How many sessions the store holds, expired ones not yet removed included. */
  count(store: SessionStore): number | Promise<number>;
}

/** Switches and hooks for one store under test. */
export interface SuiteOptions {
  /**
   * Switches on the `sweep` group. Leave out when the backend expires keys by itself (Redis).
   * @defaultValue none: the sweep case is not registered
   */
  sweep?: SweepHooks;
  /**
   * Switches on the `shared` group: makes two stores over the same, fresh data, as two
   * processes sharing the backend would open them (on a shared server: one new key prefix,
   * ideally two connections). Leave out for a store that lives in one process.
   * @defaultValue none: the shared cases are not registered
   */
  shared?: (context: StoreContext) => [SessionStore, SessionStore] | Promise<[SessionStore, SessionStore]>;
  /**
   * Runs of the random model test.
   * @defaultValue 60
   */
  modelRuns?: number;
}
