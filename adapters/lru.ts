/**
 * `LruStore`: the in-process store bounded by entries and bytes, over `lru-cache`.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import { optionError, whole } from '../src/checks.js';
import type { PayloadTooLargeError } from '../src/errors.js';
import type {
  EpochMilliseconds,
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
} from '../src/types.js';
import { RecordStore, type RecordMap } from './memory/record-store.js';
import type { MemoryStoreOptions } from './memory/store.js';

/** Options of {@link LruStore}. */
export interface LruStoreOptions extends MemoryStoreOptions {
  /**
   * Most sessions kept, at most 16777216 (2²⁴: lru-cache sets aside room for `max` entries up
   * front); the least recently used one is evicted to make room.
   * @defaultValue 10000
   */
  max?: number;
  /**
   * Most bytes of stored JSON (data, id and the items' JSON) kept in all; least recently used
   * sessions are evicted to make room, items with them. A single session larger than this is
   * refused with {@link PayloadTooLargeError} (a `put` or an `append`), and nothing changes.
   * @defaultValue no limit
   */
  maxBytes?: number;
}

/** The largest `max`: lru-cache allocates arrays of `max` slots when it is built. */
const MAX_ENTRIES = 2 ** 24;

/**
 * An `LRUCache` as a {@link RecordMap}, reporting its evictions to `evicted`. An entry's size
 * is its data, id and items (`logBytes`), so every write of a session re-sets its entry.
 */
function lruRecords(
  max: number,
  maxBytes: number | undefined,
  evicted: (id: string) => void,
  logBytes: (id: string) => number,
): RecordMap {
  const bytes = (record: SessionRecord, id: string) => Buffer.byteLength(record.data ?? '') + id.length + logBytes(id);
  const cache = new LRUCache<string, SessionRecord>({
    max,
    ...(maxBytes === undefined ? {} : { maxSize: maxBytes, sizeCalculation: bytes }),
    dispose: (_record, id, reason) => {
      if (reason === 'evict') evicted(id);
    },
  });
  return {
    get: (id) => cache.get(id),
    peek: (id) => cache.peek(id),
    set: (id, record) => void cache.set(id, record),
    delete: (id) => void cache.delete(id),
    values: () => cache.values(),
    get size() {
      return cache.size;
    },
  };
}

/**
 * Sessions in this process, in an LRU cache bounded by count (`max`) and by bytes
 * (`maxBytes`, counting each session's items). Reads (`get`, `touch`, `items`) count as use;
 * `list` does not. Evicted sessions leave
 * the list index at once. Ordering, paging, expiry and sweeping work as in `MemoryStore`.
 *
 * @example
 * ```ts
 * import { SessionManager } from 'agent-sessions';
 * import { LruStore } from 'agent-sessions/lru';
 *
 * const sessions = new SessionManager({ store: new LruStore({ max: 5_000, maxBytes: 256 * 1024 * 1024 }) });
 * ```
 */
export class LruStore implements SessionStore {
  readonly #records: RecordStore;

  /**
   * @param options - bounds, clock and sweep interval
   * @throws `TypeError` naming the option that is wrong
   */
  constructor(options: LruStoreOptions = {}) {
    const max = whole('max', options.max, 1, MAX_ENTRIES, optionError) ?? 10_000;
    const maxBytes = whole('maxBytes', options.maxBytes, 1, Number.MAX_SAFE_INTEGER, optionError);
    this.#records = new RecordStore(options, (evicted, logBytes) => lruRecords(max, maxBytes, evicted, logBytes), maxBytes);
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

  /** As the contract says; a session (with its items) larger than `maxBytes` is refused, the previous one kept. */
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

  /** As the contract says; an append that makes the session larger than `maxBytes` is refused, nothing changed. */
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
