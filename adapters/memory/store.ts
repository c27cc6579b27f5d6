/**
 * `MemoryStore`: the in-process store, the default of `SessionManager`.
 *
 * @module
 */
import type { EpochMilliseconds, Milliseconds, SessionRecord } from '../../src/types.js';
import { InProcessStore, type RecordMap } from './record-store.js';

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
export class MemoryStore extends InProcessStore {
  /**
   * @param options - clock and sweep interval
   * @throws `TypeError` naming the option that is wrong
   */
  constructor(options: MemoryStoreOptions = {}) {
    super(options, () => new PlainRecordMap());
  }
}
