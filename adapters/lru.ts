/**
 * `LruStore`: the in-process store bounded by entries and bytes, over `lru-cache`.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import { PayloadTooLargeError } from '../src/errors.js';
import type { SessionRecord, StorePutInput, StoreWriteResult } from '../src/types.js';
import { MemoryStore, type MemoryStoreOptions, type RecordMap } from './memory.js';

/** Options of {@link LruStore}. */
export interface LruStoreOptions extends MemoryStoreOptions {
  /**
   * Most sessions kept; the least recently used one is evicted to make room.
   * @defaultValue 10000
   */
  max?: number;
  /**
   * Most bytes of stored JSON (data plus id) kept in all; least recently used sessions are
   * evicted to make room. A single session larger than this is refused with
   * {@link PayloadTooLargeError} and the previous value is kept.
   * @defaultValue no limit
   */
  maxBytes?: number;
}

function bytes(record: SessionRecord): number {
  return Buffer.byteLength(record.data ?? '') + record.id.length;
}

function whole(name: string, value: unknown): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) > 0)) {
    throw new TypeError(`${name} must be a positive whole number; got ${String(value)}`);
  }
}

/**
 * Sessions in this process, in an LRU cache bounded by count (`max`) and by bytes
 * (`maxBytes`). Reads (`get`, `touch`) count as use; `list` does not. Evicted sessions leave
 * the list index at once. Expiry works as in {@link MemoryStore}.
 *
 * @example
 * ```ts
 * import { SessionManager } from 'agent-sessions';
 * import { LruStore } from 'agent-sessions/lru';
 *
 * const sessions = new SessionManager({ store: new LruStore({ max: 5_000, maxBytes: 256 * 1024 * 1024 }) });
 * ```
 */
export class LruStore extends MemoryStore {
  readonly #maxBytes: number | undefined;

  /** @param options - bounds, clock and sweep interval */
  constructor(options: LruStoreOptions = {}) {
    const { max = 10_000, maxBytes } = options;
    whole('max', max);
    whole('maxBytes', maxBytes);
    let evicted = (_id: string): void => {};
    const cache = new LRUCache<string, SessionRecord>({
      max,
      ...(maxBytes === undefined ? {} : { maxSize: maxBytes, sizeCalculation: bytes }),
      dispose: (_record, id, reason) => {
        if (reason === 'evict') evicted(id);
      },
    });
    const records: RecordMap = {
      get: (id) => cache.get(id),
      peek: (id) => cache.peek(id),
      set: (id, record) => void cache.set(id, record),
      delete: (id) => cache.delete(id),
      values: () => cache.values(),
      clear: () => cache.clear(),
      get size() {
        return cache.size;
      },
    };
    super(options, records);
    this.#maxBytes = maxBytes;
    evicted = (id) => this.forget(id);
  }

  override async put(input: StorePutInput): Promise<StoreWriteResult> {
    const size = Buffer.byteLength(input.data) + input.id.length;
    if (this.#maxBytes !== undefined && size > this.#maxBytes) {
      throw new PayloadTooLargeError(
        `session ${JSON.stringify(input.id)} is ${size} bytes, over the LruStore's maxBytes ${this.#maxBytes}`,
        this.#maxBytes,
      );
    }
    return super.put(input);
  }
}
