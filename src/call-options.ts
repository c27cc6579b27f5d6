/**
 * The options and results of the {@link SessionManager}'s session calls (the item calls' are in
 * `items.ts`). Re-exported by `manager.ts` and the package.
 *
 * @module
 */
import type { FencedError, VersionConflictError } from './errors.js';
import type { SessionManager } from './manager.js';
import type { Milliseconds } from './types.js';

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
