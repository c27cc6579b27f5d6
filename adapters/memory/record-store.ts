/**
 * The implementation both in-process stores share: records in a {@link RecordMap}, an ordered
 * index of ids for `list`, and a queue of expiry times for the sweep. `MemoryStore` gives it a
 * `Map`; `LruStore` an LRU cache that reports its evictions.
 *
 * @module
 */
import { duration, optionError } from '../../src/checks.js';
import type {
  EpochMilliseconds,
  Milliseconds,
  SessionRecord,
  StoreDeleteInput,
  StoreListQuery,
  StorePutInput,
  StoreTouchInput,
  StoreWriteResult,
} from '../../src/types.js';
import { ExpiryQueue } from './expiry-queue.js';
import { SortedIds } from './sorted-ids.js';
import type { MemoryStoreOptions } from './store.js';

/**
 * Where a {@link RecordStore} keeps records by id. A map that drops records by itself (an LRU
 * eviction) reports each one to the `evicted` callback its factory was given.
 */
export interface RecordMap {
  /** A read that counts as use (an LRU cache refreshes the entry). */
  get(id: string): SessionRecord | undefined;
  /** A read that does not count as use. */
  peek(id: string): SessionRecord | undefined;
  /** Keeps `record` under `id`, replacing any record there. */
  set(id: string, record: SessionRecord): void;
  /** Removes the record of `id`, if any. */
  delete(id: string): void;
  /** Every record held, expired ones not yet swept included. */
  values(): Iterable<SessionRecord>;
  /** How many records are held. */
  readonly size: number;
}

/** Makes the {@link RecordMap} of a store; `evicted` is to be called for each record it drops itself. */
export type RecordMapFactory = (evicted: (id: string) => void) => RecordMap;

/** The longest delay `setInterval` honours (2³¹ − 1 ms); a longer one would fire every 1 ms. */
const MAX_TIMER = 2_147_483_647;

/** `min(idle, createdAt + maxLifetime)`, either part optional. */
function expiry(idle: number | null, createdAt: number, maxLifetime: number | null): number | null {
  const cap = maxLifetime === null ? null : createdAt + maxLifetime;
  if (idle === null) return cap;
  return cap === null ? idle : Math.min(idle, cap);
}

/**
 * A `SessionStore` over a {@link RecordMap}. Every method runs synchronously inside its
 * promise, so each is atomic. Records are never changed in place (a write stores a new
 * object), so the ones it returns stay as they were.
 */
export class RecordStore {
  readonly #ids = new SortedIds();
  readonly #expiries = new ExpiryQueue();
  readonly #records: RecordMap;
  readonly #now: () => EpochMilliseconds;
  readonly #sweepInterval: Milliseconds;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: MemoryStoreOptions, makeRecords: RecordMapFactory) {
    const { now = Date.now } = options;
    if (typeof now !== 'function') throw new TypeError('now must be a function returning ms since epoch');
    const sweepInterval = duration('sweepInterval', options.sweepInterval, optionError) ?? 1000;
    if (sweepInterval > MAX_TIMER) {
      throw new TypeError(`sweepInterval must be at most ${MAX_TIMER} ms, the longest timer; got ${sweepInterval}`);
    }
    this.#now = now;
    this.#sweepInterval = sweepInterval;
    this.#records = makeRecords((id) => this.#ids.delete(id));
  }

  get size(): number {
    return this.#records.size;
  }

  #live(id: string, now: EpochMilliseconds, use: boolean): SessionRecord | undefined {
    const record = use ? this.#records.get(id) : this.#records.peek(id);
    if (record === undefined) return undefined;
    if (record.expiresAt !== null && !(record.expiresAt > now)) {
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
    if (isNew) this.#ids.add(record.id);
    if (record.expiresAt !== null) {
      this.#expiries.push(record.expiresAt, record.id);
      this.#timer ??= setInterval(() => this.purgeStale(), this.#sweepInterval).unref();
    }
  }

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
      if (record.expiresAt !== null && !(record.expiresAt > query.now)) {
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

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
