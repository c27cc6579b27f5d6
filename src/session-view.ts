/**
 * How a stored record becomes the session a caller sees: as an object (`get`, `list`, `put`),
 * without `data` (meta listings), with `data` parsed on first read (`clear`), or as JSON text
 * built around the stored `data` (the HTTP layer). Times are formatted by {@link timeText},
 * so no stored time can make a read throw.
 *
 * @module
 */
import { timeText } from './iso-time.js';
import type { Session, SessionMeta, SessionRecord } from './types.js';

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
  )}","updatedAt":"${timeText(r.updatedAt)}","expiresAt":${expiresAt === null ? 'null' : `"${expiresAt}"`}}`;
}

/** The stored `data` JSON of each session {@link toRemovedSession} made, until it is read. */
const pending = new WeakMap<object, string>();

/**
 * `data` of a removed session: parsed from the stored JSON the first time it is read, then a
 * plain data property (assigning to it first works too). Shared by every removed session.
 */
const LAZY_DATA: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: object) {
    const value: unknown = JSON.parse(pending.get(this) ?? 'null');
    settle(this, value);
    return value;
  },
  set(this: object, value: unknown) {
    settle(this, value);
  },
};

function settle(target: object, value: unknown): void {
  pending.delete(target);
  Object.defineProperty(target, 'data', { value, writable: true, enumerable: true, configurable: true });
}

/**
 * The session `clear` returns: a plain object whose `data` is parsed on first read, so that a
 * caller that ignores the removed session pays no `JSON.parse`. It spreads, serializes and
 * clones like any session.
 */
export function toRemovedSession<T>(r: SessionRecord): Session<T> {
  const session = toSession<T>(r, undefined as T);
  pending.set(session, r.data ?? 'null');
  return Object.defineProperty(session, 'data', LAZY_DATA);
}
