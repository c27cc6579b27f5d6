/**
 * `SessionManager`: the contract's operations over any {@link SessionStore}. The rules on
 * records live in its core (`manager-core.ts`), the record-to-session mapping in
 * `session-view.ts`.
 *
 * @module
 */
import { argumentError, duration, fence, whole } from './checks.js';
import { InvalidArgumentError, VersionConflictError, type FencedError, type LeaseHeldError } from './errors.js';
import { assertIdentifier, isIdentifierPrefix } from './identifier.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { quote } from './json.js';
import * as itemOps from './items.js';
import type {
  AppendOptions,
  AppendResult,
  ItemsOptions,
  ItemsPage,
  PopOptions,
  SessionItem,
  TruncateOptions,
  TruncateResult,
} from './items.js';
import type { Lease, LeaseOptions } from './leases.js';
import { ManagerCore, registerCore } from './manager-core.js';
import { toMeta, toRemovedSession, toSession } from './session-view.js';
import { instrument } from './telemetry.js';
import type {
  ClearOptions,
  ListOptions,
  PutOptions,
  SessionManagerOptions,
  SessionPage,
  TouchOptions,
  UpdateOptions,
} from './call-options.js';
import type { Milliseconds, Session, SessionMeta, SessionStore } from './types.js';

export type { ClearOptions, ListOptions, PutOptions, SessionManagerOptions, SessionPage, TouchOptions, UpdateOptions } from './call-options.js';

/**
 * @internal How long, in ms, `update` without `retries` keeps retrying after version conflicts before it
 * throws {@link VersionConflictError}. Conflicts come only from other processes or managers:
 * updates of one id through one manager run one at a time.
 */
export const UPDATE_PATIENCE: Milliseconds = 10_000;

/** Longest wait between two tries of `update`, in ms; the wait doubles up to it, jittered. */
const BACKOFF_CAP = 100;

/**
 * Keeps agent sessions: validates identifiers and data, versions every write, applies TTL
 * and lifetime, keeps each session's log of items, and stores records in a {@link SessionStore}.
 *
 * @typeParam T - the type of each session's `data`
 * @typeParam I - the type of each item of a session's log
 * @example
 * ```ts
 * import { SessionManager } from 'agent-sessions';
 *
 * const sessions = new SessionManager<{ messages: string[] }>({ ttl: 30 * 60_000 });
 * await sessions.put('user-42:thread-7', { messages: ['hi'] });
 * const s = await sessions.update('user-42:thread-7', (cur) => ({
 *   messages: [...(cur?.data.messages ?? []), 'hello'],
 * }));
 * console.log(s.version); // 2
 * ```
 */
export class SessionManager<T = unknown, I = unknown> {
  /** The store the sessions live in. */
  readonly store: SessionStore;
  readonly #core: ManagerCore<T>;
  /** The last `update` queued per id, settling when it is done; removed when the id is idle. */
  readonly #updates = new Map<string, Promise<unknown>>();

  /**
   * @param options - store, TTL policy, size limit, schema and clock
   * @throws `TypeError` naming the option that is wrong
   */
  constructor(options: SessionManagerOptions<T> = {}) {
    this.#core = new ManagerCore(options);
    this.store = this.#core.store;
    registerCore(this, this.#core);
  }

  /** The live session `id`, or `undefined` if there is none (or it has expired). */
  async get(id: string): Promise<Session<T> | undefined> {
    const core = this.#core;
    const now = core.now();
    const record = await core.read(id, now);
    return record && core.live(record, now) ? toSession(record, JSON.parse(record.data ?? 'null') as T) : undefined;
  }

  /**
   * One page of live sessions ordered by id. Follow `nextCursor` to walk them all: a walk
   * sees every session that exists for its whole duration exactly once.
   */
  list(options: ListOptions & { fields: 'meta' }): Promise<SessionPage<SessionMeta>>;
  list(options?: ListOptions): Promise<SessionPage<Session<T>>>;
  async list(options: ListOptions = {}): Promise<SessionPage<Session<T> | SessionMeta>> {
    const { limit = 100, cursor, prefix = '', fields = 'all' } = options;
    whole('limit', limit, 1, 1000, argumentError);
    if (typeof prefix !== 'string' || !isIdentifierPrefix(prefix)) {
      throw new InvalidArgumentError(
        `prefix must be up to 256 characters of A–Z a–z 0–9 . _ ~ : @ -; got ${quote(prefix)}`,
      );
    }
    if (fields !== 'all' && fields !== 'meta') {
      throw new InvalidArgumentError(`fields must be 'all' or 'meta'; got ${quote(fields)}`);
    }
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const core = this.#core;
    const now = core.now();
    const meta = fields === 'meta';
    const records = await this.store.list({ after, prefix, limit: limit + 1, meta, now });
    const live = records.filter((r) => core.live(r, now));
    const more = live.length > limit;
    const page = more ? live.slice(0, limit) : live;
    return {
      sessions: page.map((r) => (meta ? toMeta(r) : toSession(r, JSON.parse(r.data ?? 'null') as T))),
      nextCursor: more ? encodeCursor(page[page.length - 1]!.id) : null,
    };
  }

  /**
   * Stores `data` as session `id`, creating it (version 1) or replacing it (version + 1).
   * Returns the stored session; its `data` is the value passed in.
   *
   * @throws {@link VersionConflictError} when `ifVersion` does not match
   * @throws {@link ValidationError} when `data` is not JSON or fails the schema
   * @throws {@link PayloadTooLargeError} when the session exceeds `maxBytes`
   * @throws {@link InvalidArgumentError} when `ttl` or `ifVersion` is malformed, or `ttl`
   *   (or `maxLifetime`) puts the expiry past the latest date a `Date` can hold
   */
  async put(id: string, data: T, options: PutOptions = {}): Promise<Session<T>> {
    const { record, value } = await this.#core.write(id, data, options);
    return toSession(record, value);
  }

  /**
   * Removes session `id` and returns it, or `undefined` if there was none. The returned
   * session's `data` is parsed on first access, so a caller that ignores it pays nothing.
   *
   * @throws {@link VersionConflictError} when `ifVersion` is given and does not match
   */
  async clear(id: string, options: ClearOptions = {}): Promise<Session<T> | undefined> {
    const input = this.#core.deleteInput(id, options);
    const record = this.#core.removed(input, await this.store.delete(input));
    return record && toRemovedSession<T>(record);
  }

  /**
   * Reads session `id`, computes new data with `fn`, and writes it only if nobody wrote in
   * between, retrying on conflict. `fn` may run more than once. Updates of one id through this
   * manager run one at a time, in call order (so `fn` should settle: one that never does holds
   * up the later updates of its id); conflicts with other processes are retried with jittered
   * exponential backoff for 10 seconds, or `retries` times when given.
   *
   * @throws {@link VersionConflictError} when the retries or the patience run out
   */
  async update(
    id: string,
    fn: (current: Session<T> | undefined) => T | Promise<T>,
    options: UpdateOptions = {},
  ): Promise<Session<T>> {
    const retries = whole('retries', options.retries, 0, Number.MAX_SAFE_INTEGER, argumentError);
    duration('ttl', options.ttl, argumentError); // refused before fn runs; put checks the deadline
    fence(options.fence);
    assertIdentifier(id);
    const previous = this.#updates.get(id);
    const run = () => this.#update(id, fn, options, retries);
    const result = previous === undefined ? run() : previous.then(run);
    const done = result.then(noop, noop);
    this.#updates.set(id, done);
    void done.then(() => {
      if (this.#updates.get(id) === done) this.#updates.delete(id);
    });
    return result;
  }

  async #update(
    id: string,
    fn: (current: Session<T> | undefined) => T | Promise<T>,
    { ttl, fence }: UpdateOptions,
    retries: number | undefined,
  ): Promise<Session<T>> {
    const giveUpAt = retries === undefined ? this.#core.now() + UPDATE_PATIENCE : Infinity;
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(id);
      const data = await fn(current);
      try {
        return await this.put(id, data, { ttl, fence, ifVersion: current?.version ?? 0 });
      } catch (err) {
        if (!(err instanceof VersionConflictError)) throw err;
        if (retries === undefined ? this.#core.now() >= giveUpAt : attempt >= retries) throw err;
      }
      // Full jitter: contending writers spread out instead of colliding again in lockstep.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 ** attempt, BACKOFF_CAP)));
    }
  }

  /**
   * Renews the idle TTL of session `id` without changing `data`, `version` or `updatedAt`;
   * never past `maxLifetime`. Returns the session, or `undefined` if there is none.
   *
   * @throws {@link InvalidArgumentError} as {@link SessionManager.put} does for `ttl`
   */
  async touch(id: string, options: TouchOptions = {}): Promise<Session<T> | undefined> {
    assertIdentifier(id);
    const core = this.#core;
    const now = core.now();
    const idleExpiresAt = core.idleDeadline(options.ttl, now);
    const maxLifetime = core.lifetime(now);
    const record = await this.store.touch({ id, now, idleExpiresAt, maxLifetime, fence: fence(options.fence) });
    return record && core.live(record, now) ? toSession(record, JSON.parse(record.data ?? 'null') as T) : undefined;
  }

  /**
   * Appends 1–1000 items to session `id` atomically, all or none, with consecutive seqs and
   * one version bump; creates the session (`data: null`, version 1) when there is none.
   * Renews the idle TTL as `put` does.
   *
   * @throws {@link ValidationError} when an item is not JSON
   * @throws {@link PayloadTooLargeError} when an item is over `maxItemBytes`, or the log would
   *   be over `maxItems` or `maxLogBytes` (unless `onFull: 'dropOldest'`)
   * @throws {@link InvalidArgumentError} when the batch is empty or over 1000 items, an option
   *   is malformed, or `replaceAfter` is above the session's `lastSeq`
   * @throws {@link VersionConflictError} when `ifVersion` does not match
   */
  append(id: string, items: I[], options: AppendOptions = {}): Promise<AppendResult> {
    return itemOps.append(this.#core, id, items, options);
  }

  /**
   * A page of session `id`'s items by seq, or `undefined` when there is no session.
   * The newest 20: `items(id, { order: 'desc', limit: 20 })`.
   *
   * @throws {@link InvalidArgumentError} when `limit`, `after`, `before` or `order` is malformed
   */
  items(id: string, options: ItemsOptions = {}): Promise<ItemsPage<I> | undefined> {
    return itemOps.items<I>(this.#core, id, options);
  }

  /**
   * Removes and returns the newest item of session `id` (version + 1), or `undefined` when
   * there is no item (or no session), changing nothing.
   *
   * @throws {@link VersionConflictError} when `ifVersion` does not match
   */
  pop(id: string, options: PopOptions = {}): Promise<SessionItem<I> | undefined> {
    return itemOps.pop<I>(this.#core, id, options);
  }

  /**
   * Removes every item after seq `after` (a rewind: `lastSeq` becomes `after`) or before seq
   * `before` (a compaction); the version goes up by one when anything was removed.
   *
   * @throws {@link InvalidArgumentError} unless exactly one of `after` and `before` is a whole number ≥ 0
   * @throws {@link VersionConflictError} when `ifVersion` does not match
   */
  truncate(id: string, options: TruncateOptions): Promise<TruncateResult> {
    return itemOps.truncate(this.#core, id, options);
  }

  /**
   * Takes the lease of session `id` (which need not exist): while it is live, nobody else gets
   * it, and writes that pass its `fence` are applied. Not re-entrant: the holder asking again
   * is refused too.
   *
   * @throws {@link LeaseHeldError} when the lease stays held for `wait` ms
   * @throws {@link InvalidArgumentError} when `ttl` or `wait` is out of range
   * @throws the signal's reason when `signal` aborts
   */
  acquire(id: string, options?: LeaseOptions): Promise<Lease> {
    return this.#core.leases.acquire(id, options);
  }

  /**
   * Runs `fn` holding the lease of session `id`: acquires it as {@link SessionManager.acquire}
   * does, renews it every third of its ttl while `fn` runs (a failed renewal, or a missed
   * expiry, aborts `lease.signal`), releases it when `fn` settles, and settles as `fn` did.
   *
   * @example
   * ```ts
   * await sessions.withLease(id, async ({ fence, signal }) => {
   *   const reply = await agent.run(await sessions.items(id), { signal });
   *   await sessions.append(id, [reply], { fence });
   * });
   * ```
   */
  withLease<R>(id: string, fn: (lease: Lease) => Promise<R>, options?: LeaseOptions): Promise<R> {
    return this.#core.leases.withLease(id, fn, options);
  }

  /** Closes the store: its timers and the connections it owns. */
  async close(): Promise<void> {
    await this.store.close();
  }
}

function noop(): void {}

instrument(SessionManager.prototype);
