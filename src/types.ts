/**
 * The session shape and the adapter contract.
 *
 * @module
 */

/** A duration in milliseconds. */
export type Milliseconds = number;

/** A point in time in milliseconds since the Unix epoch (as `Date.now()` returns). */
export type EpochMilliseconds = number;

/**
 * A session as the manager returns it: the caller's own copy.
 *
 * @typeParam T - the type of `data`, a JSON value.
 */
export interface Session<T = unknown> {
  /** The identifier: 1–256 characters of `A–Z a–z 0–9 . _ ~ : @ -`. */
  id: string;
  /** The caller's JSON value. Absent from sessions listed with `fields: 'meta'`. */
  data: T;
  /** 1 on create, +1 on every successful write: put, update, append, pop, truncate. */
  version: number;
  /** When the session was created (ISO 8601); kept across replaces. */
  createdAt: string;
  /** When the session last changed, its data or its items (ISO 8601). */
  updatedAt: string;
  /** When the session expires (ISO 8601), or `null` for never. */
  expiresAt: string | null;
  /** How many items the session's log holds; 0 when none. */
  itemCount: number;
  /** The seq the next append continues after; 0 before any. */
  lastSeq: number;
}

/** A session listed with `fields: 'meta'`: everything but `data`. */
export type SessionMeta = Omit<Session<never>, 'data'>;

/**
 * One stored session as an adapter keeps it. The manager builds and reads these;
 * an adapter stores them and never looks inside `data`.
 */
export interface SessionRecord {
  /** The identifier, already validated by the manager. */
  id: string;
  /** The session's data as JSON text. Absent when listed with `meta: true`. */
  data?: string;
  /** Integer, 1 on create, +1 on every write: of `data` (put) or of items (append, pop, truncate). */
  version: number;
  /** Creation time, ms since epoch; kept when the session is replaced. */
  createdAt: EpochMilliseconds;
  /** Time of the last write, of `data` or of items, ms since epoch. */
  updatedAt: EpochMilliseconds;
  /** Expiry time, ms since epoch, or `null` for never. A record is gone once `now >= expiresAt`. */
  expiresAt: EpochMilliseconds | null;
  /** Items in the session's log. */
  itemCount: number;
  /** Seq of the newest item (the next append continues after it); 0 before any. */
  lastSeq: number;
}

/** What {@link SessionStore.put} is asked to write. */
export interface StorePutInput {
  /** The identifier. */
  id: string;
  /** The new data as JSON text. */
  data: string;
  /** The write's clock, ms since epoch: becomes `updatedAt` (and `createdAt` for a new session). */
  now: EpochMilliseconds;
  /** The idle deadline (`now + ttl`), ms since epoch, or `null` for none. */
  idleExpiresAt: EpochMilliseconds | null;
  /** Absolute lifetime cap from `createdAt`, in ms, or `null` for none. */
  maxLifetime: Milliseconds | null;
  /** Write only if the live session's version is this; `0` means only if none is live. */
  ifVersion?: number;
  /** Write only if this is the fence of the live lease of `id`, else `FencedError`; checked before `ifVersion`. Without it, no lease check. */
  fence?: number;
}

/** What {@link SessionStore.touch} is asked to renew. */
export interface StoreTouchInput {
  /** The identifier. */
  id: string;
  /** The touch's clock, ms since epoch. */
  now: EpochMilliseconds;
  /** The new idle deadline, ms since epoch, or `null` for none. */
  idleExpiresAt: EpochMilliseconds | null;
  /** Absolute lifetime cap from `createdAt`, in ms, or `null` for none. */
  maxLifetime: Milliseconds | null;
  /** Write only if this is the fence of the live lease of `id`, else `FencedError`; checked before `ifVersion`. Without it, no lease check. */
  fence?: number;
}

/** What {@link SessionStore.delete} is asked to remove. */
export interface StoreDeleteInput {
  /** The identifier. */
  id: string;
  /** The clock, ms since epoch: a record with `expiresAt <= now` counts as absent. */
  now: EpochMilliseconds;
  /** Delete only if the live session's version is this. */
  ifVersion?: number;
  /** Write only if this is the fence of the live lease of `id`, else `FencedError`; checked before `ifVersion`. Without it, no lease check. */
  fence?: number;
}

/** One page request to {@link SessionStore.list}. */
export interface StoreListQuery {
  /** Return only ids strictly greater (code-unit order) than this; `undefined` from the start. */
  after?: string;
  /** Return only ids that start with this (may be `''`). */
  prefix: string;
  /** At most this many records, 1 or more. */
  limit: number;
  /** When `true`, leave `data` out and do not read it from the backend. */
  meta: boolean;
  /** The clock, ms since epoch: skip records with `expiresAt <= now`. */
  now: EpochMilliseconds;
}

/**
 * The result of a conditional write or delete: the record on success, or the live
 * version that made the condition fail (`0` when there is none).
 */
export type StoreWriteResult = StoreWriteDone | StoreWriteRefused;

/** A write or delete that happened. */
export interface StoreWriteDone {
  /** Always `true`. */
  ok: true;
  /** The record written, or the one removed. */
  record: SessionRecord;
}

/** A write or delete refused because its condition did not hold, or nothing was there to delete. */
export interface StoreWriteRefused {
  /** Always `false`. */
  ok: false;
  /** The live version, `0` when there is none. */
  currentVersion: number;
}

/**
 * The adapter contract. An adapter only stores records; the manager validates ids and
 * data, keeps the clock and decides TTL policy. Every method is atomic per id, and every
 * method treats a record with `expiresAt <= now` as absent.
 *
 * Run the shared conformance suite (`test/conformance/`) against a new adapter; see
 * docs/writing-an-adapter.md.
 */
export interface SessionStore {
  /** The live record for `id`, or `undefined`. */
  get(id: string, now: EpochMilliseconds): Promise<SessionRecord | undefined>;
  /**
   * Write `data` atomically. A new session gets version 1 and `createdAt = now`; a live one
   * keeps `createdAt` and gets `version + 1`. `expiresAt = min(idleExpiresAt, createdAt +
   * maxLifetime)`, either part optional. Fails (no change) if `ifVersion` is given and is not
   * the live version (0 for none).
   */
  put(input: StorePutInput): Promise<StoreWriteResult>;
  /** Renew `expiresAt` of a live session as {@link put} would, keeping data, version and `updatedAt`. */
  touch(input: StoreTouchInput): Promise<SessionRecord | undefined>;
  /**
   * Remove atomically and return what was removed. Fails (no change) on an `ifVersion`
   * mismatch; when nothing is live it returns `{ ok: false, currentVersion: 0 }`.
   */
  delete(input: StoreDeleteInput): Promise<StoreWriteResult>;
  /** Up to `limit` live records in id order, after `after`, starting with `prefix`. */
  list(query: StoreListQuery): Promise<SessionRecord[]>;
  /**
   * Appends items atomically, all or none, with consecutive seqs and one version bump,
   * creating the session (`data` `'null'`) when none is live. Steps, in order: a remembered
   * `idempotencyKey` answers its first result (`replayed: true`); an `ifVersion` mismatch,
   * a `replaceAfter` above `lastSeq`, or a log over `maxItems`/`maxLogBytes` (unless
   * `dropOldest`) refuses with nothing changed. Renews expiry as {@link put} does.
   */
  append(input: StoreAppendInput): Promise<StoreAppendResult>;
  /** A page of the live session's items by seq, or `undefined` when there is no live session. */
  items(query: StoreItemsQuery): Promise<StoreItemsPage | undefined>;
  /** Removes and returns the newest item (version + 1); nothing to pop changes nothing. */
  pop(input: StorePopInput): Promise<StorePopResult>;
  /** Removes every item after or before a seq (version + 1 when any was removed). */
  truncate(input: StoreTruncateInput): Promise<StoreTruncateResult>;
  /**
   * Takes the lease of `id` when no live lease holds it, with a fence greater than every fence
   * this store ever issued for `id`; otherwise answers when the holder's lease ends. Does not
   * create or touch the session.
   */
  acquire(input: StoreAcquireInput): Promise<StoreAcquireResult>;
  /** Moves a live lease's expiry to `now + ttl`; `undefined` when `fence` is not the live lease (lost). */
  renew(input: StoreRenewInput): Promise<EpochMilliseconds | undefined>;
  /** Ends the live lease held with `fence`; `false` (nothing changed) when it is not the live lease. */
  release(input: StoreReleaseInput): Promise<boolean>;
  /** Whether the backend answers. Never rejects. */
  ping(): Promise<boolean>;
  /** Release connections and timers so the process can exit. */
  close(): Promise<void>;
}

/** How long a store remembers an append's `idempotencyKey`, in ms: 24 hours. */
export const IDEMPOTENCY_WINDOW: Milliseconds = 86_400_000;

/** How many keyed appends per session a store remembers: a key is forgotten after this many newer ones. */
export const IDEMPOTENCY_KEYS = 1000;

/** One item of a session's log as an adapter keeps it. */
export interface ItemRecord {
  /** 1, 2, 3… per session; dense from the oldest kept item to the newest. */
  seq: number;
  /** The item as JSON text. */
  data: string;
  /** When it was appended, ms since epoch. */
  createdAt: EpochMilliseconds;
}

/** What {@link SessionStore.append} is asked to add. */
export interface StoreAppendInput {
  /** The identifier. */
  id: string;
  /** The items as JSON text, 1 to 1000, already validated. */
  items: string[];
  /** The clock, ms since epoch: each item's `createdAt`, the session's `updatedAt` (and `createdAt` when new). */
  now: EpochMilliseconds;
  /** The idle deadline, as for {@link StorePutInput.idleExpiresAt}. */
  idleExpiresAt: EpochMilliseconds | null;
  /** Absolute lifetime cap from `createdAt`, in ms, or `null` for none. */
  maxLifetime: Milliseconds | null;
  /** Append only if the live version is this; `0` means only if none is live. */
  ifVersion?: number;
  /** A key this session has seen within {@link IDEMPOTENCY_WINDOW} answers its first result again, changing nothing. */
  idempotencyKey?: string;
  /** First remove every item with a seq above this (then `lastSeq` is this), in the same step. */
  replaceAfter?: number;
  /** Most items the log may hold after the append, or `null` for no limit. */
  maxItems: number | null;
  /** Most UTF-8 bytes of item JSON the log may hold after the append, or `null` for no limit. */
  maxLogBytes: number | null;
  /** Over a limit, remove the oldest items until it fits instead of refusing. */
  dropOldest: boolean;
  /** Write only if this is the fence of the live lease of `id`, else `FencedError`; checked before `ifVersion`. Without it, no lease check. */
  fence?: number;
}

/** The result of {@link SessionStore.append}. */
export type StoreAppendResult = StoreAppendDone | StoreAppendRefused;

/** An append that happened (or was answered again for its idempotency key). */
export interface StoreAppendDone {
  /** Always `true`. */
  ok: true;
  /** The session's version after the append. */
  version: number;
  /** Seq of the first item appended. */
  firstSeq: number;
  /** Seq of the last item appended. */
  lastSeq: number;
  /** `true` when the idempotency key was seen and nothing was applied now. */
  replayed: boolean;
}

/** An append refused, with nothing changed. */
export interface StoreAppendRefused {
  /** Always `false`. */
  ok: false;
  /** `version`: `ifVersion` did not match; `replaceAfter`: it is above `lastSeq`; `full`: over `maxItems` or `maxLogBytes`. */
  reason: 'version' | 'replaceAfter' | 'full';
  /** The live version, `0` when there is none. */
  currentVersion: number;
  /** The live `lastSeq`, `0` when there is none. */
  lastSeq: number;
}

/** One page request to {@link SessionStore.items}. */
export interface StoreItemsQuery {
  /** The identifier. */
  id: string;
  /** The clock, ms since epoch. */
  now: EpochMilliseconds;
  /** Only seqs above this (exclusive), a whole number ≥ 0. */
  after?: number;
  /** Only seqs below this (exclusive), a whole number ≥ 0. */
  before?: number;
  /** At most this many items, 1 to 1000. */
  limit: number;
  /** `asc`: the oldest first, from just after `after`; `desc`: the newest first, from just before `before`. */
  order: 'asc' | 'desc';
}

/** A page of {@link SessionStore.items}. */
export interface StoreItemsPage {
  /** The items, in the order asked for. */
  items: ItemRecord[];
  /** The session's version. */
  version: number;
  /** Whether the range holds more items beyond this page, in the direction of travel. */
  hasMore: boolean;
}

/** What {@link SessionStore.pop} is asked to remove. */
export interface StorePopInput {
  /** The identifier. */
  id: string;
  /** The clock, ms since epoch. */
  now: EpochMilliseconds;
  /** Pop only if the live version is this. */
  ifVersion?: number;
  /** Write only if this is the fence of the live lease of `id`, else `FencedError`; checked before `ifVersion`. Without it, no lease check. */
  fence?: number;
}

/** The result of {@link SessionStore.pop}. */
export type StorePopResult =
  | {
      /** Always `true`. */
      ok: true;
      /** The removed item, or `undefined` when the log was empty or there is no session. */
      item: ItemRecord | undefined;
      /** The version after the pop (unchanged when nothing was removed; `0` for no session). */
      version: number;
    }
  | StoreWriteRefused;

/** What {@link SessionStore.truncate} is asked to remove: exactly one of `after` and `before`. */
export interface StoreTruncateInput {
  /** The identifier. */
  id: string;
  /** The clock, ms since epoch. */
  now: EpochMilliseconds;
  /** Remove every item with a seq above this (a rewind). */
  after?: number;
  /** Remove every item with a seq below this (a compaction). */
  before?: number;
  /** Truncate only if the live version is this. */
  ifVersion?: number;
  /** Write only if this is the fence of the live lease of `id`, else `FencedError`; checked before `ifVersion`. Without it, no lease check. */
  fence?: number;
}

/** The result of {@link SessionStore.truncate}. */
export type StoreTruncateResult =
  | {
      /** Always `true`. */
      ok: true;
      /** How many items were removed. */
      removed: number;
      /** The version after (bumped only when something was removed; `0` for no session). */
      version: number;
    }
  | StoreWriteRefused;

/** What {@link SessionStore.acquire} is asked for. */
export interface StoreAcquireInput {
  /** The identifier. */
  id: string;
  /** The clock, ms since epoch: a lease with `expiresAt <= now` is free. */
  now: EpochMilliseconds;
  /** How long the new lease lasts, in ms: it expires at `now + ttl`. */
  ttl: Milliseconds;
}

/** The result of {@link SessionStore.acquire}: a new lease, or when the live one ends. */
export type StoreAcquireResult = StoreAcquireDone | StoreAcquireRefused;

/** A lease taken. */
export interface StoreAcquireDone {
  /** Always `true`. */
  ok: true;
  /** A safe integer greater than every fence this store issued for the id before. */
  fence: number;
  /** When the lease ends unless renewed, ms since epoch. */
  expiresAt: EpochMilliseconds;
}

/** A lease refused because another one is live. */
export interface StoreAcquireRefused {
  /** Always `false`. */
  ok: false;
  /** When the holder's lease ends unless renewed, ms since epoch. */
  expiresAt: EpochMilliseconds;
}

/** What {@link SessionStore.renew} is asked to extend. */
export interface StoreRenewInput {
  /** The identifier. */
  id: string;
  /** The clock, ms since epoch. */
  now: EpochMilliseconds;
  /** The fence of the lease to renew. */
  fence: number;
  /** The new expiry is `now + ttl`, in ms. */
  ttl: Milliseconds;
}

/** What {@link SessionStore.release} is asked to end. */
export interface StoreReleaseInput {
  /** The identifier. */
  id: string;
  /** The clock, ms since epoch. */
  now: EpochMilliseconds;
  /** The fence of the lease to end. */
  fence: number;
}
