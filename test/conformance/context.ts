/**
 * What every conformance case receives: a fresh store, the case's clock, ids of its own, and
 * a few helpers that call the store the way the manager does.
 */
import { SessionManager, type SessionManagerOptions, type SessionStore, type StorePutInput, type StoreWriteResult } from '../../src/index.js';
import type { SuiteOptions } from './options.js';

/** One case of the suite: a name that reads as the contract, an optional group, a body. */
export interface Case {
  /** What the store guarantees, as a sentence. */
  name: string;
  /** The group that switches the case on; core cases have none and always run. */
  group?: 'sweep' | 'shared';
  /** The case itself; it rejects (a failed `expect`) when the store breaks the contract. */
  run(ctx: CaseContext): Promise<void>;
}

/** How a case asks for a write: the `StorePutInput` fields, with the clock and expiry filled in. */
export interface WriteOptions {
  /** Idle time to live from now, ms: becomes `idleExpiresAt`. @defaultValue none */
  ttl?: number;
  /** Absolute cap from `createdAt`, ms. @defaultValue none */
  maxLifetime?: number;
  /** The condition of the write. */
  ifVersion?: number;
  /** The fence of the lease the write is made under. */
  fence?: number;
}

/** The world of one case. */
export interface CaseContext {
  /** A fresh, empty store made by the factory for this case. */
  store: SessionStore;
  /** The case's clock, ms since epoch: it starts at the real time and moves only by `tick`. */
  now(): number;
  /** Moves the clock forward by `ms`. */
  tick(ms: number): void;
  /** A random prefix unique to this case, in the identifier alphabet (`t<hex>:`). */
  ns: string;
  /** `ns + name`: an id no other case (or run on a shared server) uses. */
  id(name?: string): string;
  /** `store.put` at the case's clock. */
  put(id: string, data?: string, options?: WriteOptions, store?: SessionStore): Promise<StoreWriteResult>;
  /** A `SessionManager` over the case's store and clock. */
  manager<T = unknown>(options?: Omit<SessionManagerOptions<T>, 'store' | 'now'>, store?: SessionStore): SessionManager<T>;
  /** Another fresh, empty store from the factory (the model test takes one per run). */
  fresh(): Promise<SessionStore>;
  /** Two stores over the same data (the `shared` group only); closed after the case. */
  pair(): Promise<[SessionStore, SessionStore]>;
  /** Closes `store` (the case's own by default) and leaves it out of the closing after the case. */
  close(store?: SessionStore): Promise<void>;
  /** The options the suite was registered with. */
  options: SuiteOptions;
}

/** What the suite hands a store factory. */
export interface StoreContext {
  /** The case's clock (ms since epoch); give it to a store that sweeps on its own timer. */
  now: () => number;
}

/** A store factory: a fresh, empty store for every case. */
export type StoreFactory = (context: StoreContext) => SessionStore | Promise<SessionStore>;

const hex = () => Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0');

/**
 * Runs one case against a fresh store from `factory`, then closes every store the case
 * opened (each once), whatever the outcome. Rejects as the case does, or as a `close` does.
 */
export async function runCase(c: Case, factory: StoreFactory, options: SuiteOptions = {}): Promise<void> {
  let clock = Date.now();
  const now = () => clock;
  const opened: SessionStore[] = [];
  const store = await factory({ now });
  opened.push(store);
  const ns = `t${hex()}:`;
  const ctx: CaseContext = {
    store,
    now,
    tick: (ms) => void (clock += ms),
    ns,
    id: (name = 'id') => ns + name,
    put: (id, data = '1', o = {}, target = store) =>
      target.put({
        id,
        data,
        now: clock,
        idleExpiresAt: o.ttl === undefined ? null : clock + o.ttl,
        maxLifetime: o.maxLifetime ?? null,
        ...(o.ifVersion === undefined ? {} : { ifVersion: o.ifVersion }),
        ...(o.fence === undefined ? {} : { fence: o.fence }),
      } satisfies StorePutInput),
    manager: (managerOptions = {}, target = store) => new SessionManager({ ...managerOptions, store: target, now }),
    fresh: async () => {
      const another = await factory({ now });
      opened.push(another);
      return another;
    },
    pair: async () => {
      if (!options.shared) throw new Error('the shared group needs the `shared` option');
      const pair = await options.shared({ now });
      opened.push(...pair);
      return pair;
    },
    close: async (target = store) => {
      const at = opened.indexOf(target);
      if (at === -1) throw new Error('close() takes a store this case opened and has not closed');
      opened.splice(at, 1);
      await target.close();
    },
    options,
  };
  try {
    await c.run(ctx);
  } finally {
    await Promise.all(opened.map((s) => s.close()));
  }
}
