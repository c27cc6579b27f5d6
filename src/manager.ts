import type { StandardSchemaV1 } from '@standard-schema/spec';
import { MemoryStore } from '../adapters/memory.js';
import {
  InvalidArgumentError,
  PayloadTooLargeError,
  ValidationError,
  VersionConflictError,
} from './errors.js';
import { assertIdentifier, isIdentifierPrefix, quote, toJson } from './json.js';
import type {
  EpochMilliseconds,
  Milliseconds,
  Session,
  SessionMeta,
  SessionRecord,
  SessionStore,
  StoreWriteResult,
} from './types.js';

/** Options of {@link SessionManager}. */
export interface SessionManagerOptions<T = unknown> {
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
   * Largest session allowed: UTF-8 bytes of `data` as JSON plus the identifier.
   * Larger ones are refused with {@link PayloadTooLargeError}.
   * @defaultValue 1048576 (1 MiB)
   */
  maxBytes?: number;
  /** A Standard Schema (zod, valibot, arktype…) that `data` must pass on `put` and `update`. */
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
}

/** Options of {@link SessionManager.clear}. */
export interface ClearOptions {
  /** Remove only if the current version is this. */
  ifVersion?: number;
}

/** Options of {@link SessionManager.update}. */
export interface UpdateOptions {
  /** Idle time to live in ms for this write. @defaultValue the manager's `ttl` */
  ttl?: Milliseconds;
  /**
   * How many times to read and try again after a version conflict.
   * @defaultValue 10
   */
  retries?: number;
}

/** Options of {@link SessionManager.touch}. */
export interface TouchOptions {
  /** Idle time to live in ms from now. @defaultValue the manager's `ttl` */
  ttl?: Milliseconds;
}

/** @internal Key of {@link SessionManager}'s read as JSON text, for the HTTP layer. */
export const GET_TEXT: unique symbol = Symbol('agent-sessions.getText');
/** @internal Key of {@link SessionManager}'s write answering JSON text, for the HTTP layer. */
export const PUT_TEXT: unique symbol = Symbol('agent-sessions.putText');

/** @internal A session as JSON text (the `Session` shape) and its version, for the HTTP layer. */
export interface SessionText {
  version: number;
  json: string;
}

const MIB = 1024 * 1024;
const CURSOR_TAG = 'c1.';

function positive(name: string, value: unknown, make: (m: string) => Error): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw make(`${name} must be a positive, finite number of milliseconds; got ${quote(value)}`);
  }
  return value;
}

function version(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new InvalidArgumentError(`${name} must be a whole number ≥ 0 (0: only if absent); got ${quote(value)}`);
  }
  return value as number;
}

const DAY = 86_400_000;
const YEAR_10000 = 253_402_300_800_000;
let isoDay = NaN;
let isoDayPrefix = '';
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * `new Date(ms).toISOString()`, about six times faster: the date part of the last day seen is
 * kept, and the time of day is formatted by arithmetic. Every read formats three timestamps.
 */
function iso(ms: EpochMilliseconds): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= YEAR_10000) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY);
  if (day !== isoDay) {
    isoDay = day;
    isoDayPrefix = new Date(day * DAY).toISOString().slice(0, 11); // 'YYYY-MM-DDT'
  }
  let rest = ms - day * DAY;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = Math.floor(rest / 1000);
  return `${isoDayPrefix}${pad2(h)}:${pad2(m)}:${pad2(sec)}.${pad3(rest - sec * 1000)}Z`;
}

/**
 * Keeps agent sessions: validates identifiers and data, versions every write, applies TTL
 * and lifetime, and stores records in a {@link SessionStore}.
 *
 * @typeParam T - the type of each session's `data`
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
export class SessionManager<T = unknown> {
  /** The store the sessions live in. */
  readonly store: SessionStore;
  readonly #ttl: Milliseconds | null;
  readonly #maxLifetime: Milliseconds | null;
  readonly #maxBytes: number;
  readonly #schema: StandardSchemaV1<unknown, T> | undefined;
  readonly #now: () => EpochMilliseconds;

  /** @param options - store, TTL policy, size limit, schema and clock */
  constructor(options: SessionManagerOptions<T> = {}) {
    const typeError = (m: string) => new TypeError(m);
    this.#ttl = positive('ttl', options.ttl, typeError);
    this.#maxLifetime = positive('maxLifetime', options.maxLifetime, typeError);
    this.#maxBytes = positive('maxBytes', options.maxBytes, typeError) ?? MIB;
    if (options.schema !== undefined && typeof options.schema?.['~standard']?.validate !== 'function') {
      throw new TypeError('schema must be a Standard Schema (zod, valibot, arktype…) with ~standard.validate');
    }
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new TypeError('now must be a function returning ms since epoch');
    }
    this.#schema = options.schema;
    this.#now = options.now ?? Date.now;
    this.store = options.store ?? new MemoryStore();
  }

  /** The live session `id`, or `undefined` if there is none (or it has expired). */
  async get(id: string): Promise<Session<T> | undefined> {
    const now = this.#now();
    const record = await this.#read(id, now);
    return record && this.#live(record, now) ? this.#session(record) : undefined;
  }

  /**
   * {@link SessionManager.get} as JSON text, for the HTTP layer: `data` is sent as stored,
   * never parsed and serialized again.
   * @internal
   */
  async [GET_TEXT](id: string): Promise<SessionText | undefined> {
    const now = this.#now();
    const record = await this.#read(id, now);
    if (record === undefined || !this.#live(record, now)) return undefined;
    return { version: record.version, json: sessionText(record, record.data ?? 'null') };
  }

  /** The store's read, after the identifier check; not `async`, so no extra promise per read. */
  #read(id: string, now: EpochMilliseconds): Promise<SessionRecord | undefined> {
    assertIdentifier(id);
    return this.store.get(id, now);
  }

  /**
   * One page of live sessions ordered by id. Follow `nextCursor` to walk them all: a walk
   * sees every session that exists for its whole duration exactly once.
   */
  list(options: ListOptions & { fields: 'meta' }): Promise<SessionPage<SessionMeta>>;
  list(options?: ListOptions): Promise<SessionPage<Session<T>>>;
  async list(options: ListOptions = {}): Promise<SessionPage<Session<T> | SessionMeta>> {
    const { limit = 100, cursor, prefix = '', fields = 'all' } = options;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new InvalidArgumentError(`limit must be a whole number from 1 to 1000; got ${quote(limit)}`);
    }
    if (typeof prefix !== 'string' || !isIdentifierPrefix(prefix)) {
      throw new InvalidArgumentError(
        `prefix must be up to 256 characters of A–Z a–z 0–9 . _ ~ : @ -; got ${quote(prefix)}`,
      );
    }
    if (fields !== 'all' && fields !== 'meta') {
      throw new InvalidArgumentError(`fields must be 'all' or 'meta'; got ${quote(fields)}`);
    }
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const now = this.#now();
    const meta = fields === 'meta';
    const records = await this.store.list({ after, prefix, limit: limit + 1, meta, now });
    const live = records.filter((r) => this.#live(r, now));
    const more = live.length > limit;
    const page = more ? live.slice(0, limit) : live;
    return {
      sessions: page.map((r) => (meta ? this.#meta(r) : this.#session(r))),
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
   */
  async put(id: string, data: T, options: PutOptions = {}): Promise<Session<T>> {
    const { record, value } = await this.#write(id, data, options);
    return this.#session(record, value);
  }

  /**
   * {@link SessionManager.put} answering with JSON text, for the HTTP layer: the stored JSON
   * of `data` is reused rather than serialized again.
   * @internal
   */
  async [PUT_TEXT](id: string, data: T, options: PutOptions = {}): Promise<SessionText> {
    const { record, json } = await this.#write(id, data, options);
    return { version: record.version, json: sessionText(record, json) };
  }

  async #write(id: string, data: T, options: PutOptions): Promise<{ record: SessionRecord; value: T; json: string }> {
    assertIdentifier(id);
    const ifVersion = version('ifVersion', options.ifVersion);
    const ttl = this.#callTtl(options.ttl);
    const value = this.#schema === undefined ? data : await this.#validate(this.#schema, data);
    const json = toJson(value);
    this.#checkSize(id, json);
    const now = this.#now();
    const result = await this.store.put({
      id,
      data: json,
      now,
      idleExpiresAt: ttl === null ? null : now + ttl,
      maxLifetime: this.#maxLifetime,
      ifVersion,
    });
    return { record: this.#written(id, result, ifVersion), value, json };
  }

  /**
   * Removes session `id` and returns it, or `undefined` if there was none. The returned
   * session's `data` is parsed on first access, so a caller that ignores it pays nothing.
   *
   * @throws {@link VersionConflictError} when `ifVersion` is given and does not match
   */
  async clear(id: string, options: ClearOptions = {}): Promise<Session<T> | undefined> {
    assertIdentifier(id);
    const ifVersion = version('ifVersion', options.ifVersion);
    const result = await this.store.delete({ id, now: this.#now(), ifVersion });
    if (!result.ok && result.currentVersion === 0 && ifVersion === undefined) return undefined;
    return new ClearedSession<T>(this.#written(id, result, ifVersion));
  }

  /**
   * Reads session `id`, computes new data with `fn`, and writes it only if nobody wrote in
   * between, retrying on conflict. `fn` may run more than once.
   *
   * @throws {@link VersionConflictError} after `retries` conflicting attempts
   */
  async update(
    id: string,
    fn: (current: Session<T> | undefined) => T | Promise<T>,
    options: UpdateOptions = {},
  ): Promise<Session<T>> {
    const { retries = 10 } = options;
    if (!Number.isSafeInteger(retries) || retries < 0) {
      throw new InvalidArgumentError(`retries must be a whole number ≥ 0; got ${quote(retries)}`);
    }
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(id);
      const data = await fn(current);
      try {
        return await this.put(id, data, { ttl: options.ttl, ifVersion: current?.version ?? 0 });
      } catch (err) {
        if (!(err instanceof VersionConflictError) || attempt >= retries) throw err;
      }
      // Back off a random, growing while so that contending writers spread out.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 ** attempt, 64)));
    }
  }

  /**
   * Renews the idle TTL of session `id` without changing `data`, `version` or `updatedAt`;
   * never past `maxLifetime`. Returns the session, or `undefined` if there is none.
   */
  async touch(id: string, options: TouchOptions = {}): Promise<Session<T> | undefined> {
    assertIdentifier(id);
    const ttl = this.#callTtl(options.ttl);
    const now = this.#now();
    const record = await this.store.touch({
      id,
      now,
      idleExpiresAt: ttl === null ? null : now + ttl,
      maxLifetime: this.#maxLifetime,
    });
    return record && this.#live(record, now) ? this.#session(record) : undefined;
  }

  /** Closes the store: its timers and the connections it owns. */
  async close(): Promise<void> {
    await this.store.close();
  }

  #callTtl(ttl: unknown): Milliseconds | null {
    return positive('ttl', ttl, (m) => new InvalidArgumentError(m)) ?? this.#ttl;
  }

  async #validate(schema: StandardSchemaV1<unknown, T>, data: T): Promise<T> {
    const result = await schema['~standard'].validate(data);
    if (result.issues === undefined) return result.value;
    const issues = result.issues.map((i) => ({
      message: i.message,
      path: i.path?.map((p) => (typeof p === 'object' ? p.key : p)),
    }));
    const first = issues[0];
    const where = first?.path?.length ? ` at ${first.path.map(String).join('.')}` : '';
    throw new ValidationError(`data does not match the schema${where}: ${first?.message ?? 'invalid'}`, issues);
  }

  #checkSize(id: string, json: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: skip the exact count when it cannot matter.
    if ((json.length + id.length) * 3 <= this.#maxBytes) return;
    const bytes = Buffer.byteLength(json) + id.length;
    if (bytes > this.#maxBytes) {
      throw new PayloadTooLargeError(
        `session ${quote(id)} is ${bytes} bytes as JSON, over maxBytes ${this.#maxBytes}; store less or raise maxBytes`,
        this.#maxBytes,
      );
    }
  }

  #written(id: string, result: StoreWriteResult, ifVersion: number | undefined): SessionRecord {
    if (result.ok) return result.record;
    const { currentVersion } = result;
    throw new VersionConflictError(
      ifVersion === 0
        ? `session ${quote(id)} already exists (version ${currentVersion}); ifVersion 0 creates only`
        : `session ${quote(id)} is at version ${currentVersion || 'none (it does not exist)'}, not ${ifVersion}`,
      currentVersion,
    );
  }

  #live(record: SessionRecord, now: EpochMilliseconds): boolean {
    return record.expiresAt === null || record.expiresAt > now;
  }

  #meta(r: SessionRecord): SessionMeta {
    return {
      id: r.id,
      version: r.version,
      createdAt: iso(r.createdAt),
      updatedAt: iso(r.updatedAt),
      expiresAt: r.expiresAt === null ? null : iso(r.expiresAt),
    };
  }

  /** The caller's session from a record: `data` parsed from it unless given. */
  #session(r: SessionRecord, data: T = JSON.parse(r.data ?? 'null') as T): Session<T> {
    return {
      id: r.id,
      data,
      version: r.version,
      createdAt: iso(r.createdAt),
      updatedAt: iso(r.updatedAt),
      expiresAt: r.expiresAt === null ? null : iso(r.expiresAt),
    };
  }
}

/**
 * The JSON text of a session, built around `dataJson` as stored. Identifiers and ISO times
 * hold no character JSON escapes, so they are quoted as they are.
 */
function sessionText(r: SessionRecord, dataJson: string): string {
  const expiresAt = r.expiresAt === null ? 'null' : `"${iso(r.expiresAt)}"`;
  return `{"id":"${r.id}","data":${dataJson},"version":${r.version},"createdAt":"${iso(r.createdAt)}","updatedAt":"${iso(
    r.updatedAt,
  )}","expiresAt":${expiresAt}}`;
}

/**
 * The session `clear` returns. Its `data` is an own, enumerable property that parses the
 * removed JSON the first time it is read and then becomes a plain data property (assigning
 * to it first works too), so it behaves as an ordinary property for spreading,
 * `JSON.stringify` and `structuredClone`, and a caller that ignores it pays no parse.
 */
class ClearedSession<T> {
  readonly #json: string;
  static readonly #data: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: ClearedSession<unknown>) {
      const value: unknown = JSON.parse(this.#json);
      ClearedSession.#settle(this, value);
      return value;
    },
    set(this: ClearedSession<unknown>, value: unknown) {
      ClearedSession.#settle(this, value);
    },
  };

  static #settle(target: object, value: unknown): void {
    Object.defineProperty(target, 'data', { value, writable: true, enumerable: true, configurable: true });
  }

  declare data: T;
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;

  constructor(r: SessionRecord) {
    this.id = r.id;
    this.version = r.version;
    this.createdAt = iso(r.createdAt);
    this.updatedAt = iso(r.updatedAt);
    this.expiresAt = r.expiresAt === null ? null : iso(r.expiresAt);
    this.#json = r.data ?? 'null';
    Object.defineProperty(this, 'data', ClearedSession.#data);
  }
}

function encodeCursor(lastId: string): string {
  return CURSOR_TAG + Buffer.from(lastId, 'utf8').toString('base64url');
}

function decodeCursor(cursor: unknown): string {
  if (typeof cursor === 'string' && cursor.startsWith(CURSOR_TAG) && cursor.length <= 400) {
    const id = Buffer.from(cursor.slice(CURSOR_TAG.length), 'base64url').toString('utf8');
    if (encodeCursor(id) === cursor && isIdentifierPrefix(id) && id !== '') return id;
  }
  throw new InvalidArgumentError(
    `cursor must be a nextCursor returned by list; got ${quote(cursor)}. Start again without a cursor`,
  );
}
