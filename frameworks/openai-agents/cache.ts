/**
 * The history an `AgentsSession` last read or wrote, with the session's state at that point,
 * so that a read finding the session unchanged answers without reading the log again.
 *
 * @module
 */
import type { Session } from '../../src/types.js';

/** A session's state as the cache checks it: equal states, equal logs (see docs/frameworks.md). */
export interface LogState {
  createdAt: string;
  version: number;
  itemCount: number;
  lastSeq: number;
}

/** The newest `items.length` items of the log at `state`, decoded, owned by the cache alone. */
export interface CachedLog {
  state: LogState;
  items: unknown[];
}

/** Sets an own entry, `__proto__` included (an assignment to it would set the prototype). */
function set(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/**
 * A deep copy of a decoded item: plain objects (own entries,
 * `__proto__` included), arrays and `Uint8Array`, as the codec makes them. Strings are shared
 * (they cannot change); an object is spread, then only its entries that are objects are copied.
 */
export function copy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const entry: unknown = value[i];
      out[i] = entry !== null && typeof entry === 'object' ? copy(entry) : entry;
    }
    return out;
  }
  if (value instanceof Uint8Array) return value.slice();
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = { ...record };
  for (const key in record) {
    const entry = record[key];
    if (entry !== null && typeof entry === 'object' && Object.hasOwn(record, key)) set(out, key, copy(entry));
  }
  return out;
}

/** Whether `session` is in the state the cache was taken at. */
export function unchanged(cached: LogState, session: Session<unknown>): boolean {
  return (
    session.version === cached.version &&
    session.itemCount === cached.itemCount &&
    session.lastSeq === cached.lastSeq &&
    session.createdAt === cached.createdAt
  );
}

/**
 * Whether a state read at `readStart` (the clock before the read) may be cached: its session
 * was created in an earlier millisecond. A session created, cleared and created again within
 * one millisecond and brought back to the same version, itemCount and lastSeq would look the
 * same; one seen alive after its first millisecond cannot be confused with a later life.
 */
export function cacheable(session: Session<unknown>, readStart: number): boolean {
  return Date.parse(session.createdAt) < readStart;
}
