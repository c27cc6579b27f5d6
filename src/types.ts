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
  /** 1 on create, +1 on every successful put or update. */
  version: number;
  /** When the session was created (ISO 8601); kept across replaces. */
  createdAt: string;
  /** When `data` was last written (ISO 8601). */
  updatedAt: string;
  /** When the session expires (ISO 8601), or `null` for never. */
  expiresAt: string | null;
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
  /** Integer, 1 on create, +1 on every write of `data`. */
  version: number;
  /** Creation time, ms since epoch; kept when the session is replaced. */
  createdAt: EpochMilliseconds;
  /** Time of the last write of `data`, ms since epoch. */
  updatedAt: EpochMilliseconds;
  /** Expiry time, ms since epoch, or `null` for never. A record is gone once `now >= expiresAt`. */
  expiresAt: EpochMilliseconds | null;
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
}

/** What {@link SessionStore.delete} is asked to remove. */
export interface StoreDeleteInput {
  /** The identifier. */
  id: string;
  /** The clock, ms since epoch: a record with `expiresAt <= now` counts as absent. */
  now: EpochMilliseconds;
  /** Delete only if the live session's version is this. */
  ifVersion?: number;
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
  /** Whether the backend answers. Never rejects. */
  ping(): Promise<boolean>;
  /** Release connections and timers so the process can exit. */
  close(): Promise<void>;
}
