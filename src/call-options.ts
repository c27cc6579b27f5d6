/**
 * The options of the {@link SessionManager} and of its session calls, and their results (the
 * item calls' are in `items.ts`). Re-exported by `manager.ts` and the package.
 *
 * @module
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { MemoryStore } from '../adapters/memory/store.js';
import type { FencedError, PayloadTooLargeError, VersionConflictError } from './errors.js';
import type { ItemLimitOptions } from './items.js';
import type { SessionManager } from './manager.js';
import type { EpochMilliseconds, Milliseconds, SessionStore } from './types.js';

/** Options of {@link SessionManager}. */
export interface SessionManagerOptions<T = unknown> extends ItemLimitOptions {
  /**
   * Where sessions are kept.
   * @defaultValue a new {@link MemoryStore}
   */
  store?: SessionStore;
  /**
   * Idle time to live in ms, renewed by `put`, `update` and `touch`. A call's own `ttl` wins.
   * @defaultValue none: sessions do not expire when idle
   */
  ttl?: Milliseconds;
  /**
   * Absolute cap in ms from `createdAt`; `touch` and `put` never extend a session past it.
   * @defaultValue none
   */
  maxLifetime?: Milliseconds;
  /**
   * Largest session allowed, a whole number of bytes: UTF-8 bytes of `data` as JSON plus the
   * identifier.
   * Larger ones are refused with {@link PayloadTooLargeError}.
   * @defaultValue 1048576 (1 MiB)
   */
  maxBytes?: number;
  /**
   * A Standard Schema (zod, valibot, arktype…) that `data` must pass on `put` and `update`.
   * It never sees items; a session that `append` creates has `data: null`, so a schema for
   * sessions that start by an append has to accept `null`.
   */
  schema?: StandardSchemaV1<unknown, T>;
  /**
   * The clock, ms since epoch. Inject one to test expiry without sleeping.
   * @defaultValue `Date.now`
   */
  now?: () => EpochMilliseconds;
}

/** Options of {@link SessionManager.list}. */
export interface ListOptions {
  /**
   * Most sessions on one page, 1 to 1000.
   * @defaultValue 100
   */
  limit?: number;
  /** The `nextCursor` of the previous page; absent for the first page. */
  cursor?: string;
  /** Keep only ids that start with this. */
  prefix?: string;
  /**
   * `'meta'` leaves `data` out (and the store does not read it).
   * @defaultValue 'all'
   */
  fields?: 'all' | 'meta';
}

/** A page of {@link SessionManager.list}: `SessionArray` of the HTTP API. */
export interface SessionPage<S> {
  /** The sessions of this page, ordered by id. */
  sessions: S[];
  /** Pass as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

/** Options of {@link SessionManager.put}. */
export interface PutOptions {
  /** Idle time to live in ms for this write. @defaultValue the manager's `ttl` */
  ttl?: Milliseconds;
  /** Write only if the current version is this; `0` means only if the session does not exist. */
  ifVersion?: number;
  /** Write only while the lease with this fence is live (see {@link SessionManager.acquire}); else {@link FencedError}. */
  fence?: number;
}

/** Options of {@link SessionManager.clear}. */
export interface ClearOptions {
  /** Remove only if the current version is this. */
  ifVersion?: number;
  /** Write only while the lease with this fence is live (see {@link SessionManager.acquire}); else {@link FencedError}. */
  fence?: number;
}

/** Options of {@link SessionManager.update}. */
export interface UpdateOptions {
  /** Idle time to live in ms for this write. @defaultValue the manager's `ttl` */
  ttl?: Milliseconds;
  /**
   * How many times to read and try again after a version conflict, then
   * {@link VersionConflictError}. Without it, `update` keeps trying for 10 seconds (by the
   * manager's clock) before it gives up.
   * @defaultValue no count: retry for 10 seconds
   */
  retries?: number;
  /** Write only while the lease with this fence is live (see {@link SessionManager.acquire}); else {@link FencedError}. */
  fence?: number;
}

/** Options of {@link SessionManager.touch}. */
export interface TouchOptions {
  /** Idle time to live in ms from now. @defaultValue the manager's `ttl` */
  ttl?: Milliseconds;
  /** Write only while the lease with this fence is live (see {@link SessionManager.acquire}); else {@link FencedError}. */
  fence?: number;
}
