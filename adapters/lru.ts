/**
 * `LruStore`: the in-process store bounded by entries and bytes, over `lru-cache`.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import { optionError, whole } from '../src/checks.js';
import type { PayloadTooLargeError } from '../src/errors.js';
import type { SessionRecord } from '../src/types.js';
import { InProcessStore, type RecordMap } from './memory/record-store.js';
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
export class LruStore extends InProcessStore {
  /**
   * @param options - bounds, clock and sweep interval
   * @throws `TypeError` naming the option that is wrong
   */
  constructor(options: LruStoreOptions = {}) {
    const max = whole('max', options.max, 1, MAX_ENTRIES, optionError) ?? 10_000;
    const maxBytes = whole('maxBytes', options.maxBytes, 1, Number.MAX_SAFE_INTEGER, optionError);
    super(options, (evicted, logBytes) => lruRecords(max, maxBytes, evicted, logBytes), maxBytes);
  }
}
