/**
 * The implementation both in-process stores share: records in a {@link RecordMap}, an ordered
 * index of ids for `list`, and a queue of expiry times for the sweep. `MemoryStore` gives it a
 * `Map`; `LruStore` an LRU cache that reports its evictions.
 *
 * @module
 */
import { duration, optionError } from '../../src/checks.js';
import { PayloadTooLargeError } from '../../src/errors.js';
import type {
  EpochMilliseconds,
  ItemRecord,
  Milliseconds,
  SessionRecord,
  SessionStore,
  StoreAcquireInput,
  StoreAcquireResult,
  StoreAppendInput,
  StoreAppendResult,
  StoreDeleteInput,
  StoreItemsPage,
  StoreItemsQuery,
  StoreListQuery,
  StorePopInput,
  StorePopResult,
  StorePutInput,
  StoreReleaseInput,
  StoreRenewInput,
  StoreTouchInput,
  StoreTruncateInput,
  StoreTruncateResult,
  StoreWriteResult,
} from '../../src/types.js';
import { ExpiryQueue } from './expiry-queue.js';
import { ItemLog } from './item-log.js';
import { LeaseTable } from './leases.js';
import { SortedIds } from './sorted-ids.js';
import type { MemoryStoreOptions } from './store.js';

/**
 * Where a {@link InProcessStore} keeps records by id. A map that drops records by itself (an LRU
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

/**
 * Makes the {@link RecordMap} of a store; `evicted` is to be called for each record it drops
 * itself, and `logBytes` tells the bytes of an id's items (for a map that counts sizes).
 */
export type RecordMapFactory = (evicted: (id: string) => void, logBytes: (id: string) => number) => RecordMap;

/** The longest delay `setInterval` honours (2³¹ − 1 ms); a longer one would fire every 1 ms. */
const MAX_TIMER = 2_147_483_647;

/** The log of a session without items. */
const EMPTY = new ItemLog();

/** `min(idle, createdAt + maxLifetime)`, either part optional. */
function expiry(idle: number | null, createdAt: number, maxLifetime: number | null): number | null {
  const cap = maxLifetime === null ? null : createdAt + maxLifetime;
  if (idle === null) return cap;
  return cap === null ? idle : Math.min(idle, cap);
}

/**
 * The in-process store both `MemoryStore` and `LruStore` are: a `SessionStore` over a
 * {@link RecordMap} that each of them chooses (a `Map`; an LRU cache). Every method runs
 * synchronously inside its promise, so each is atomic. Records are never changed in place (a
 * write stores a new object), so the ones it returns stay as they were. A session's items live
 * beside its record, in a log of their own, removed with it. Leases live in a table of their
 * own; a write with a `fence` is checked against it first, in the same synchronous step.
 */
export abstract class InProcessStore implements SessionStore {
  readonly #ids = new SortedIds();
  readonly #expiries = new ExpiryQueue();
  readonly #records: RecordMap;
  /** The item log of each session that has had items. */
  readonly #logs = new Map<string, ItemLog>();
  /** The leases, beside the records: never evicted with them, not removed with a session. */
  readonly #leases = new LeaseTable(() => this.#sweep());
  readonly #now: () => EpochMilliseconds;
  readonly #sweepInterval: Milliseconds;
  /** Most bytes of one session (data, id and items), or `undefined` for no bound. */
  readonly #maxBytes: number | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param options - clock and sweep interval
   * @param makeRecords - makes the map the records are kept in
   * @param maxBytes - most bytes of one session (data, id and items), or `undefined` for no bound
   * @throws `TypeError` naming the option that is wrong
   */
  protected constructor(options: MemoryStoreOptions, makeRecords: RecordMapFactory, maxBytes?: number) {
    const { now = Date.now } = options;
    if (typeof now !== 'function') throw new TypeError('now must be a function returning ms since epoch');
    const sweepInterval = duration('sweepInterval', options.sweepInterval, optionError) ?? 1000;
    if (sweepInterval > MAX_TIMER) {
      throw new TypeError(`sweepInterval must be at most ${MAX_TIMER} ms, the longest timer; got ${sweepInterval}`);
    }
    this.#now = now;
    this.#sweepInterval = sweepInterval;
    this.#maxBytes = maxBytes;
    this.#records = makeRecords(
      (id) => {
        this.#ids.delete(id);
        this.#logs.delete(id);
      },
      (id) => this.#logs.get(id)?.bytes ?? 0,
    );
  }

  /** How many sessions are held, counting expired ones not yet swept. */
  get size(): number {
    return this.#records.size;
  }

  /** How many leases are held, counting expired ones not yet swept. */
  get leaseCount(): number {
    return this.#leases.size;
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
    this.#logs.delete(id);
  }

  /** Refuses a session of `dataBytes` and `logBytes` over `maxBytes`, before anything changes. */
  #checkSize(id: string, dataBytes: number, logBytes: number): void {
    const size = dataBytes + id.length + logBytes;
    if (this.#maxBytes !== undefined && size > this.#maxBytes) {
      throw new PayloadTooLargeError(
        `session ${JSON.stringify(id)} is ${size} bytes with its items, over the LruStore's maxBytes ${this.#maxBytes}`,
        this.#maxBytes,
      );
    }
  }

  /** Keeps `record`; `isNew` when no live record had its id (so the index lacks it). */
  #store(record: SessionRecord, isNew: boolean): void {
    this.#records.set(record.id, record);
    if (isNew) this.#ids.add(record.id);
    if (record.expiresAt !== null) {
      this.#expiries.push(record.expiresAt, record.id);
      this.#sweep();
    }
  }

  /** Starts the sweep timer, if it is not running. */
  #sweep(): void {
    this.#timer ??= setInterval(() => this.purgeStale(), this.#sweepInterval).unref();
  }

  /** Removes every expired session (and lease) now (the sweep timer does this every `sweepInterval`). */
  purgeStale(): void {
    const now = this.#now();
    this.#leases.purge(now);
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
    this.#leases.check(id, input.fence, now);
    const current = this.#live(id, now, false);
    if (this.#maxBytes !== undefined) this.#checkSize(id, Buffer.byteLength(input.data), this.#logs.get(id)?.bytes ?? 0);
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
      itemCount: current?.itemCount ?? 0,
      lastSeq: current?.lastSeq ?? 0,
    };
    this.#store(record, current === undefined);
    return { ok: true, record };
  }

  async touch(input: StoreTouchInput): Promise<SessionRecord | undefined> {
    this.#leases.check(input.id, input.fence, input.now);
    const current = this.#live(input.id, input.now, true);
    if (current === undefined) return undefined;
    const record = { ...current, expiresAt: expiry(input.idleExpiresAt, current.createdAt, input.maxLifetime) };
    this.#store(record, false);
    return record;
  }

  async delete(input: StoreDeleteInput): Promise<StoreWriteResult> {
    this.#leases.check(input.id, input.fence, input.now);
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

  async append(input: StoreAppendInput): Promise<StoreAppendResult> {
    const { id, now, ifVersion, idempotencyKey } = input;
    const current = this.#live(id, now, false);
    const version = current?.version ?? 0;
    const lastSeq = current?.lastSeq ?? 0;
    const log = this.#logs.get(id);
    const remembered = idempotencyKey === undefined ? undefined : log?.recall(idempotencyKey, now);
    if (remembered !== undefined) {
      return { ok: true, version: remembered.version, firstSeq: remembered.firstSeq, lastSeq: remembered.lastSeq, replayed: true };
    }
    this.#leases.check(id, input.fence, now);
    if (ifVersion !== undefined && ifVersion !== version) return { ok: false, reason: 'version', currentVersion: version, lastSeq };
    const after = input.replaceAfter ?? lastSeq;
    if (after > lastSeq) return { ok: false, reason: 'replaceAfter', currentVersion: version, lastSeq };
    const plan = (log ?? EMPTY).plan(lastSeq - after, input.items, input);
    if (plan === undefined) return { ok: false, reason: 'full', currentVersion: version, lastSeq };
    const data = current?.data ?? 'null';
    if (this.#maxBytes !== undefined) this.#checkSize(id, Buffer.byteLength(data), plan.bytes);
    const items: ItemRecord[] = input.items.map((text, i) => ({ seq: after + 1 + i, data: text, createdAt: now }));
    const target = log ?? new ItemLog();
    target.apply(plan, items);
    const createdAt = current?.createdAt ?? now;
    const record: SessionRecord = {
      id,
      data,
      version: version + 1,
      createdAt,
      updatedAt: now,
      expiresAt: expiry(input.idleExpiresAt, createdAt, input.maxLifetime),
      itemCount: target.count,
      lastSeq: after + items.length,
    };
    const result = { version: record.version, firstSeq: after + 1, lastSeq: record.lastSeq };
    if (idempotencyKey !== undefined) target.remember(idempotencyKey, { ...result, at: now });
    if (log === undefined) this.#logs.set(id, target);
    this.#store(record, current === undefined);
    return { ok: true, ...result, replayed: false };
  }

  async items(query: StoreItemsQuery): Promise<StoreItemsPage | undefined> {
    const current = this.#live(query.id, query.now, true);
    if (current === undefined) return undefined;
    const log = this.#logs.get(query.id) ?? EMPTY;
    return { ...log.page(current.lastSeq, query), version: current.version };
  }

  async pop(input: StorePopInput): Promise<StorePopResult> {
    this.#leases.check(input.id, input.fence, input.now);
    const current = this.#live(input.id, input.now, false);
    const version = current?.version ?? 0;
    if (input.ifVersion !== undefined && input.ifVersion !== version) return { ok: false, currentVersion: version };
    const log = this.#logs.get(input.id);
    if (current === undefined || log === undefined || log.count === 0) return { ok: true, item: undefined, version };
    const item = log.dropNewest(1);
    const record = this.#changed(current, input.now, log, current.lastSeq - 1);
    return { ok: true, item, version: record.version };
  }

  async truncate(input: StoreTruncateInput): Promise<StoreTruncateResult> {
    this.#leases.check(input.id, input.fence, input.now);
    const current = this.#live(input.id, input.now, false);
    const version = current?.version ?? 0;
    if (input.ifVersion !== undefined && input.ifVersion !== version) return { ok: false, currentVersion: version };
    const log = this.#logs.get(input.id);
    if (current === undefined || log === undefined) return { ok: true, removed: 0, version };
    const { lastSeq } = current;
    const removed = log.cut(lastSeq, input.after, input.before);
    if (removed === 0) return { ok: true, removed, version };
    const newLast = input.after === undefined ? lastSeq : Math.min(lastSeq, input.after);
    return { ok: true, removed, version: this.#changed(current, input.now, log, newLast).version };
  }

  /** Stores `current` after a change of its items only: version + 1, same expiry. */
  #changed(current: SessionRecord, now: EpochMilliseconds, log: ItemLog, lastSeq: number): SessionRecord {
    const record = { ...current, version: current.version + 1, updatedAt: now, itemCount: log.count, lastSeq };
    this.#records.set(record.id, record);
    return record;
  }

  async acquire(input: StoreAcquireInput): Promise<StoreAcquireResult> {
    return this.#leases.acquire(input);
  }

  async renew(input: StoreRenewInput): Promise<EpochMilliseconds | undefined> {
    return this.#leases.renew(input);
  }

  async release(input: StoreReleaseInput): Promise<boolean> {
    return this.#leases.release(input);
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
