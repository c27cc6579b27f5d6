/**
 * `MemoryStore`: the in-process store, the default of `SessionManager`.
 *
 * @module
 */
import type {
  EpochMilliseconds,
  Milliseconds,
  SessionRecord,
  SessionStore,
  StoreAppendInput,
  StoreAppendResult,
  StoreDeleteInput,
  StoreItemsPage,
  StoreItemsQuery,
  StoreListQuery,
  StorePopInput,
  StorePopResult,
  StoreAcquireInput,
  StoreAcquireResult,
  StorePutInput,
  StoreReleaseInput,
  StoreRenewInput,
  StoreTouchInput,
  StoreTruncateInput,
  StoreTruncateResult,
  StoreWriteResult,
} from '../../src/types.js';
import { RecordStore, type RecordMap } from './record-store.js';

/** Options of {@link MemoryStore} (and of `LruStore`, which adds its bounds). */
export interface MemoryStoreOptions {
  /**
   * The clock used to sweep expired sessions, ms since epoch. Give it the manager's clock
   * when you inject one.
   * @defaultValue `Date.now`
   */
  now?: () => EpochMilliseconds;
  /**
   * How often expired sessions are removed, in ms (at most 2147483647, the longest timer
   * Node keeps), so that they stop costing memory even if nobody reads them. The timer does
   * not keep the process alive.
   * @defaultValue 1000
   */
  sweepInterval?: Milliseconds;
}

/** A `Map` as a {@link RecordMap}: nothing counts as use, nothing is evicted. */
class PlainRecordMap extends Map<string, SessionRecord> implements RecordMap {
  peek(id: string): SessionRecord | undefined {
    return this.get(id);
  }
}

/**
 * Sessions in a `Map` in this process: no dependency, no limit but memory. `list` reads an
 * ordered index (O(log N + page) per page); expired sessions are swept on a timer. A session's
 * items sit in a deque beside it: an append costs what it adds, a page of items what it holds,
 * a pop O(1). Every method runs synchronously inside its promise, so each is atomic.
 *
 * @example
 * ```ts
 * import { MemoryStore, SessionManager } from 'agent-sessions';
 * const sessions = new SessionManager({ store: new MemoryStore({ sweepInterval: 5_000 }) });
 * ```
 */
export class MemoryStore implements SessionStore {
  readonly #records: RecordStore;

  /**
   * @param options - clock and sweep interval
   * @throws `TypeError` naming the option that is wrong
   */
  constructor(options: MemoryStoreOptions = {}) {
    this.#records = new RecordStore(options, () => new PlainRecordMap());
  }

  /** How many sessions are held, counting expired ones not yet swept. */
  get size(): number {
    return this.#records.size;
  }

  /** How many leases are held, counting expired ones not yet swept. */
  get leaseCount(): number {
    return this.#records.leases.size;
  }

  /** Removes every expired session (and lease) now (the sweep timer does this every `sweepInterval`). */
  purgeStale(): void {
    this.#records.purgeStale();
  }

  get(id: string, now: EpochMilliseconds): Promise<SessionRecord | undefined> {
    return this.#records.get(id, now);
  }

  put(input: StorePutInput): Promise<StoreWriteResult> {
    return this.#records.put(input);
  }

  touch(input: StoreTouchInput): Promise<SessionRecord | undefined> {
    return this.#records.touch(input);
  }

  delete(input: StoreDeleteInput): Promise<StoreWriteResult> {
    return this.#records.delete(input);
  }

  list(query: StoreListQuery): Promise<SessionRecord[]> {
    return this.#records.list(query);
  }

  append(input: StoreAppendInput): Promise<StoreAppendResult> {
    return this.#records.append(input);
  }

  items(query: StoreItemsQuery): Promise<StoreItemsPage | undefined> {
    return this.#records.items(query);
  }

  pop(input: StorePopInput): Promise<StorePopResult> {
    return this.#records.pop(input);
  }

  truncate(input: StoreTruncateInput): Promise<StoreTruncateResult> {
    return this.#records.truncate(input);
  }

  async acquire(input: StoreAcquireInput): Promise<StoreAcquireResult> {
    return this.#records.leases.acquire(input);
  }

  async renew(input: StoreRenewInput): Promise<EpochMilliseconds | undefined> {
    return this.#records.leases.renew(input);
  }

  async release(input: StoreReleaseInput): Promise<boolean> {
    return this.#records.leases.release(input);
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.#records.close();
  }
}
