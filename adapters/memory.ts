/**
 * The in-process store, the default of {@link SessionManager}.
 *
 * @module
 */
import { ExpiryQueue } from '../src/expiry-queue.js';
import { SortedIds } from '../src/sorted-ids.js';
import type {
  EpochMilliseconds,
  Milliseconds,
  SessionRecord,
  SessionStore,
  StoreDeleteInput,
  StoreListQuery,
  StorePutInput,
  StoreTouchInput,
  StoreWriteResult,
} from '../src/types.js';

/**
 * The map a {@link MemoryStore} keeps records in: a `Map`, or (in `LruStore`) an LRU cache.
 * @internal
 */
export interface RecordMap {
  /** A read that counts as use (an LRU cache refreshes the entry). */
  get(id: string): SessionRecord | undefined;
  /** A read that does not count as use. */
  peek(id: string): SessionRecord | undefined;
  set(id: string, record: SessionRecord): void;
  delete(id: string): boolean;
  values(): Iterable<SessionRecord>;
  clear(): void;
  readonly size: number;
}

/** A `Map` as a {@link RecordMap}. */
class PlainRecordMap extends Map<string, SessionRecord> implements RecordMap {
  peek(id: string): SessionRecord | undefined {
    return this.get(id);
  }
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The clock used to sweep expired sessions, ms since epoch. Give it the manager's clock
   * when you inject one.
   * @defaultValue `Date.now`
   */
  now?: () => EpochMilliseconds;
  /**
   * How often expired sessions are removed, in ms, so that they stop costing memory even if
   * nobody reads them. The timer does not keep the process alive.
   * @defaultValue 1000
   */
  sweepInterval?: Milliseconds;
}

/** `min(idle, createdAt + maxLifetime)`, either part optional. */
function expiry(idle: number | null, createdAt: number, maxLifetime: number | null): number | null {
  const cap = maxLifetime === null ? null : createdAt + maxLifetime;
  if (idle === null) return cap;
  return cap === null ? idle : Math.min(idle, cap);
}

/**
 * Sessions in a `Map` in this process: no dependency, no limit but memory. `list` reads an
 * ordered index (O(log N + page) per page); expired sessions are swept on a timer. Every
 * method runs synchronously inside its promise, so each is atomic. Records are never changed
 * in place (a write stores a new object), so the ones it returns stay as they were.
 *
 * @example
 * ```ts
 * import { MemoryStore, SessionManager } from 'agent-sessions';
 * const sessions = new SessionManager({ store: new MemoryStore({ sweepInterval: 5_000 }) });
 * ```
 */
export class MemoryStore implements SessionStore {
  readonly #records: RecordMap;
  readonly #ids = new SortedIds();
  readonly #expiries = new ExpiryQueue();
  readonly #now: () => EpochMilliseconds;
  readonly #sweepInterval: Milliseconds;
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param options - clock and sweep interval
   * @param records - @internal the map to keep records in (LruStore passes its cache)
   */
  constructor(options: MemoryStoreOptions = {}, records: RecordMap = new PlainRecordMap()) {
    const { now = Date.now, sweepInterval = 1000 } = options;
    if (typeof now !== 'function') throw new TypeError('now must be a function returning ms since epoch');
    if (!(Number.isFinite(sweepInterval) && sweepInterval > 0)) {
      throw new TypeError(`sweepInterval must be a positive number of ms; got ${String(sweepInterval)}`);
    }
    this.#records = records;
    this.#now = now;
    this.#sweepInterval = sweepInterval;
  }

  /** How many sessions are held, counting expired ones not yet swept. */
  get size(): number {
    return this.#records.size;
  }

  /** Call when the map drops a record by itself (an LRU eviction). @internal */
  protected forget(id: string): void {
    this.#ids.delete(id);
  }

  #live(id: string, now: EpochMilliseconds, use: boolean): SessionRecord | undefined {
    const record = use ? this.#records.get(id) : this.#records.peek(id);
    if (record === undefined) return undefined;
    if (record.expiresAt !== null && record.expiresAt <= now) {
      this.#remove(id);
      return undefined;
    }
    return record;
  }

  #remove(id: string): void {
    this.#records.delete(id);
    this.#ids.delete(id);
  }

  /** Keeps `record`; `isNew` when no live record had its id (so the index lacks it). */
  #store(record: SessionRecord, isNew: boolean): void {
    this.#records.set(record.id, record);
    if (this.#records.peek(record.id) !== record) {
      this.#ids.delete(record.id); // the map refused it (and dropped any older value)
      return;
    }
    if (isNew) this.#ids.add(record.id);
    if (record.expiresAt !== null) {
      this.#expiries.push(record.expiresAt, record.id);
      this.#timer ??= setInterval(() => this.purgeStale(), this.#sweepInterval).unref();
    }
  }

  /** Removes every expired session now (the sweep timer does this every `sweepInterval`). */
  purgeStale(): void {
    const now = this.#now();
    for (let due = this.#expiries.popDue(now); due; due = this.#expiries.popDue(now)) {
      const record = this.#records.peek(due.id);
      if (record?.expiresAt != null && record.expiresAt <= now) this.#remove(due.id);
    }
    if (this.#expiries.size > 2 * this.#records.size + 64) {
      const live = [...this.#records.values()].filter((r) => r.expiresAt !== null);
      this.#expiries.compact(live.map((r) => ({ at: r.expiresAt!, id: r.id })));
    }
  }

  async get(id: string, now: EpochMilliseconds): Promise<SessionRecord | undefined> {
    return this.#live(id, now, true);
  }

  async put(input: StorePutInput): Promise<StoreWriteResult> {
    const { id, now, ifVersion } = input;
    const current = this.#live(id, now, false);
    if (ifVersion !== undefined && ifVersion !== (current?.version ?? 0)) {
      return { ok: false, currentVersion: current?.version ?? 0 };
    }
    const createdAt = current?.createdAt ?? now;
    const record: SessionRecord = {
      id,
      data: input.data,
      version: (current?.version ?? 0) + 1,
      createdAt,
      updatedAt: now,
      expiresAt: expiry(input.idleExpiresAt, createdAt, input.maxLifetime),
    };
    this.#store(record, current === undefined);
    return { ok: true, record };
  }

  async touch(input: StoreTouchInput): Promise<SessionRecord | undefined> {
    const current = this.#live(input.id, input.now, true);
    if (current === undefined) return undefined;
    const record = { ...current, expiresAt: expiry(input.idleExpiresAt, current.createdAt, input.maxLifetime) };
    this.#store(record, false);
    return record;
  }

  async delete(input: StoreDeleteInput): Promise<StoreWriteResult> {
    const current = this.#live(input.id, input.now, false);
    const currentVersion = current?.version ?? 0;
    if (current === undefined || (input.ifVersion !== undefined && input.ifVersion !== currentVersion)) {
      return { ok: false, currentVersion };
    }
    this.#remove(input.id);
    return { ok: true, record: current };
  }

  async list(query: StoreListQuery): Promise<SessionRecord[]> {
    const page: SessionRecord[] = [];
    const expired: string[] = [];
    for (const id of this.#ids.from(query.after, query.prefix)) {
      const record = this.#records.peek(id)!;
      if (record.expiresAt !== null && record.expiresAt <= query.now) {
        expired.push(id);
        continue;
      }
      if (query.meta) {
        const { data: _, ...meta } = record;
        page.push(meta);
      } else {
        page.push(record);
      }
      if (page.length === query.limit) break;
    }
    for (const id of expired) this.#remove(id);
    return page;
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
