/**
 * The manager's rules over records, shared by {@link SessionManager} (which turns records into
 * sessions) and the internal session-text module (which turns them into JSON text for the HTTP
 * layer). Each manager keeps one core; {@link coreOf} finds it. Not part of the public API.
 *
 * @module
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { MemoryStore } from '../adapters/memory/store.js';
import { argumentError, deadline, duration, fence, optionError, whole } from './checks.js';
import { PayloadTooLargeError, ValidationError, VersionConflictError } from './errors.js';
import { assertIdentifier } from './identifier.js';
import { EARLIEST_TIME, LATEST_TIME } from './iso-time.js';
import { quote, toJson } from './json.js';
import { itemLimits, type ItemLimits } from './items.js';
import { LeaseKeeper } from './leases.js';
import type { ClearOptions, PutOptions, SessionManagerOptions } from './manager.js';
import type {
  EpochMilliseconds,
  Milliseconds,
  SessionRecord,
  SessionStore,
  StoreDeleteInput,
  StoreWriteResult,
} from './types.js';

const MIB = 1024 * 1024;

/** A write as the core did it: the record stored, the value and the JSON text of its data. */
export interface Written<T> {
  record: SessionRecord;
  value: T;
  json: string;
}

/** The validated options of one manager, and the operations on records both views share. */
export class ManagerCore<T> {
  readonly store: SessionStore;
  /** `maxItemBytes`, `maxItems`, `maxLogBytes` and `onFull`, checked. */
  readonly itemLimits: ItemLimits;
  /** The leases taken through this manager, and its wait lines. */
  readonly leases: LeaseKeeper;
  readonly #ttl: Milliseconds | undefined;
  readonly #maxLifetime: Milliseconds | undefined;
  readonly #maxBytes: number;
  readonly #schema: StandardSchemaV1<unknown, T> | undefined;
  readonly #clock: () => EpochMilliseconds;

  constructor(options: SessionManagerOptions<T>) {
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new TypeError('now must be a function returning ms since epoch');
    }
    this.#clock = options.now ?? Date.now;
    this.#ttl = duration('ttl', options.ttl, optionError);
    this.#maxLifetime = duration('maxLifetime', options.maxLifetime, optionError);
    const now = this.now();
    if (this.#ttl !== undefined) deadline('ttl', now, this.#ttl, optionError);
    if (this.#maxLifetime !== undefined) deadline('maxLifetime', now, this.#maxLifetime, optionError);
    this.#maxBytes = whole('maxBytes', options.maxBytes, 1, Number.MAX_SAFE_INTEGER, optionError) ?? MIB;
    if (options.schema !== undefined && typeof options.schema?.['~standard']?.validate !== 'function') {
      throw new TypeError('schema must be a Standard Schema (zod, valibot, arktype…) with ~standard.validate');
    }
    this.#schema = options.schema;
    this.itemLimits = itemLimits(options, this.#maxBytes);
    this.store = options.store ?? new MemoryStore();
    this.leases = new LeaseKeeper(this as ManagerCore<unknown>);
  }

  /** The clock's time, ms since epoch; a clock outside years 0000–9999 is a bug, refused. */
  now(): EpochMilliseconds {
    const now = this.#clock();
    if (now >= EARLIEST_TIME && now <= LATEST_TIME) return now;
    throw new TypeError(`now() must return ms since epoch within years 0000–9999; got ${quote(now)}`);
  }

  /** The store's read, after the identifier check; not `async`, so no extra promise per read. */
  read(id: string, now: EpochMilliseconds): Promise<SessionRecord | undefined> {
    assertIdentifier(id);
    return this.store.get(id, now);
  }

  /** Whether a record the store returned is still live at `now`. */
  live(record: SessionRecord, now: EpochMilliseconds): boolean {
    return record.expiresAt === null || record.expiresAt > now;
  }

  /** The idle deadline a write or touch at `now` sets: the call's `ttl`, else the manager's. */
  idleDeadline(ttl: unknown, now: EpochMilliseconds): EpochMilliseconds | null {
    const ms = duration('ttl', ttl, argumentError) ?? this.#ttl;
    return ms === undefined ? null : deadline('ttl', now, ms, argumentError);
  }

  /** `maxLifetime` for a write or touch at `now`, refused if `now + maxLifetime` is no `Date`. */
  lifetime(now: EpochMilliseconds): Milliseconds | null {
    const ms = this.#maxLifetime;
    if (ms === undefined) return null;
    deadline('maxLifetime', now, ms, argumentError);
    return ms;
  }

  /** Validates and stores `data`: every check runs before the store is called. */
  async write(id: string, data: T, options: PutOptions): Promise<Written<T>> {
    assertIdentifier(id);
    const ifVersion = whole('ifVersion', options.ifVersion, 0, Number.MAX_SAFE_INTEGER, argumentError);
    const fenced = fence(options.fence);
    const now = this.now();
    const idleExpiresAt = this.idleDeadline(options.ttl, now);
    const maxLifetime = this.lifetime(now);
    const value = this.#schema === undefined ? data : await this.#validate(this.#schema, data);
    const json = toJson(value);
    this.#checkSize(id, json);
    const result = await this.store.put({ id, data: json, now, idleExpiresAt, maxLifetime, ifVersion, fence: fenced });
    return { record: written(id, result, ifVersion), value, json };
  }

  /** What to ask the store to delete for `clear(id, options)`, after every check. */
  deleteInput(id: string, options: ClearOptions): StoreDeleteInput {
    assertIdentifier(id);
    const ifVersion = whole('ifVersion', options.ifVersion, 0, Number.MAX_SAFE_INTEGER, argumentError);
    return { id, now: this.now(), ifVersion, fence: fence(options.fence) };
  }

  /** The record the store's delete removed, `undefined` if there was none, or the conflict thrown. */
  removed(input: StoreDeleteInput, result: StoreWriteResult): SessionRecord | undefined {
    if (!result.ok && result.currentVersion === 0 && input.ifVersion === undefined) return undefined;
    return written(input.id, result, input.ifVersion);
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
}

/** The record of a write that happened, or the {@link VersionConflictError} of one refused. */
function written(id: string, result: StoreWriteResult, ifVersion: number | undefined): SessionRecord {
  if (result.ok) return result.record;
  throw conflict(id, result.currentVersion, ifVersion);
}

/** The {@link VersionConflictError} of a write to `id` refused because `ifVersion` did not hold. */
export function conflict(id: string, currentVersion: number, ifVersion: number | undefined): VersionConflictError {
  return new VersionConflictError(
    ifVersion === 0
      ? `session ${quote(id)} already exists (version ${currentVersion}); ifVersion 0 creates only`
      : `session ${quote(id)} is at version ${currentVersion || 'none (it does not exist)'}, not ${ifVersion}`,
    currentVersion,
  );
}

const cores = new WeakMap<object, ManagerCore<unknown>>();

/** Called once by each manager's constructor. */
export function registerCore<T>(manager: object, core: ManagerCore<T>): void {
  cores.set(manager, core as ManagerCore<unknown>);
}

/** The core of `manager`; a `TypeError` for anything that is not a {@link SessionManager}. */
export function coreOf<T>(manager: object): ManagerCore<T> {
  const core = cores.get(manager);
  if (core === undefined) throw new TypeError('expected a SessionManager');
  return core as ManagerCore<T>;
}
