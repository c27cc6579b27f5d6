/**
 * How a stored record becomes the session a caller sees: as an object (`get`, `list`, `put`),
 * without `data` (meta listings), with `data` parsed on first read (`clear`), or as JSON text
 * built around the stored `data` (the HTTP layer); and how a stored item becomes a
 * {@link SessionItem}. Times are formatted by {@link timeText},
 * so no stored time can make a read throw.
 *
 * @module
 */
import { timeText } from './iso-time.js';
import type { SessionItem } from './items.js';
import type { ItemRecord, Session, SessionMeta, SessionRecord } from './types.js';

/** `expiresAt` of a record as a session shows it. */
function expiryText(r: SessionRecord): string | null {
  return r.expiresAt === null ? null : timeText(r.expiresAt);
}

/** The caller's session from a record, with `data` as given. */
export function toSession<T>(r: SessionRecord, data: T): Session<T> {
  return {
    id: r.id,
    data,
    version: r.version,
    createdAt: timeText(r.createdAt),
    updatedAt: timeText(r.updatedAt),
    expiresAt: expiryText(r),
    itemCount: r.itemCount,
    lastSeq: r.lastSeq,
  };
}

/** The session from a record without `data`, for `fields: 'meta'`. */
export function toMeta(r: SessionRecord): SessionMeta {
  return {
    id: r.id,
    version: r.version,
    createdAt: timeText(r.createdAt),
    updatedAt: timeText(r.updatedAt),
    expiresAt: expiryText(r),
    itemCount: r.itemCount,
    lastSeq: r.lastSeq,
  };
}

/**
 * The JSON text of {@link toSession} (same keys, same order), built around `dataJson` as
 * stored, which is never parsed. Identifiers and ISO times hold no character JSON escapes, so
 * they are quoted as they are.
 */
export function toSessionJson(r: SessionRecord, dataJson: string): string {
  const expiresAt = expiryText(r);
  return `{"id":"${r.id}","data":${dataJson},"version":${r.version},"createdAt":"${timeText(
    r.createdAt,
  )}","updatedAt":"${timeText(r.updatedAt)}","expiresAt":${expiresAt === null ? 'null' : `"${expiresAt}"`},"itemCount":${
    r.itemCount
  },"lastSeq":${r.lastSeq}}`;
}

/**
 * The session `clear` returns. Its `data` is an own, enumerable property that parses the
 * removed JSON the first time it is read and then becomes a plain data property (assigning
 * to it first works too), so it spreads, serializes and clones like any session, and a caller
 * that ignores it pays no `JSON.parse`. A class with one shared accessor, so that a `clear`
 * costs one allocation.
 */
class RemovedSession<T> {
  readonly #json: string;
  static readonly #data: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: RemovedSession<unknown>) {
      const value: unknown = JSON.parse(this.#json);
      RemovedSession.#settle(this, value);
      return value;
    },
    set(this: RemovedSession<unknown>, value: unknown) {
      RemovedSession.#settle(this, value);
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
  itemCount: number;
  lastSeq: number;

  constructor(r: SessionRecord) {
    this.id = r.id;
    this.version = r.version;
    this.createdAt = timeText(r.createdAt);
    this.updatedAt = timeText(r.updatedAt);
    this.expiresAt = expiryText(r);
    this.itemCount = r.itemCount;
    this.lastSeq = r.lastSeq;
    this.#json = r.data ?? 'null';
    Object.defineProperty(this, 'data', RemovedSession.#data);
  }
}

/** The session `clear` returns, its `data` parsed on first read (see {@link RemovedSession}). */
export function toRemovedSession<T>(r: SessionRecord): Session<T> {
  return new RemovedSession<T>(r);
}

/** The caller's item from a stored one, its `data` parsed. */
export function toItem<I>(r: ItemRecord): SessionItem<I> {
  return { seq: r.seq, data: JSON.parse(r.data) as I, createdAt: timeText(r.createdAt) };
}
