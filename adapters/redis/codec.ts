/**
 * The session value: a header of exactly {@link HEADER} bytes, then the session's data (JSON
 * text). The header is `version,createdAt,updatedAt,expiresAt,token,itemCount,lastSeq` in
 * ASCII, padded with spaces, then `\n`; the scripts in `scripts.ts` and `item-scripts.ts` write
 * it, this module reads it.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { StoreUnavailableError } from '../../src/errors.js';
import type { EpochMilliseconds, SessionRecord } from '../../src/types.js';

/** Width in bytes of the header that starts every session value, its final `\n` included. */
export const HEADER = 128;

/** The latest time a `Date` can hold, in ms since epoch. */
const MAX_TIME = 8.64e15;

/**
 * The number written in `text` from `from` to `to` (exclusive): digits are read in place,
 * anything else (a fraction, an exponent, more digits than a double holds exactly) by `Number`.
 */
function decimal(text: string, from: number, to: number): number {
  if (to <= from) return NaN;
  if (to - from > 15) return Number(text.slice(from, to));
  let n = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number(text.slice(from, to));
    n = n * 10 + digit;
  }
  return n;
}

/**
 * The record in a session value (or in just its header, when `data` is false): `undefined`
 * when the value is missing or not one of ours (shorter than the header, or a malformed
 * header). The header is ASCII, so its bytes and its UTF-16 code units line up.
 */
export function parse(id: string, value: unknown, data: boolean): SessionRecord | undefined {
  if (typeof value !== 'string' || value.length < HEADER || value.charCodeAt(HEADER - 1) !== 10) return undefined;
  const a = value.indexOf(',');
  const b = value.indexOf(',', a + 1);
  const c = value.indexOf(',', b + 1);
  const d = value.indexOf(',', c + 1);
  const e = value.indexOf(',', d + 1);
  const f = value.indexOf(',', e + 1);
  const end = value.indexOf(' ', f + 1);
  const g = end < 0 || end > HEADER - 1 ? HEADER - 1 : end;
  if (a < 1 || b <= a + 1 || c <= b + 1 || d < c + 1 || e < d + 1 || f <= e + 1 || g <= f + 1 || f >= HEADER - 1) {
    return undefined;
  }
  const version = decimal(value, 0, a);
  const createdAt = decimal(value, a + 1, b);
  const updatedAt = decimal(value, b + 1, c);
  const expiresAt = d === c + 1 ? null : decimal(value, c + 1, d);
  const itemCount = decimal(value, e + 1, f);
  const lastSeq = decimal(value, f + 1, g);
  if (!(Number.isSafeInteger(version) && version > 0 && Number.isFinite(createdAt) && Number.isFinite(updatedAt))) {
    return undefined;
  }
  if (!(Number.isSafeInteger(itemCount) && Number.isSafeInteger(lastSeq) && itemCount >= 0 && lastSeq >= itemCount)) {
    return undefined;
  }
  if (expiresAt !== null && !Number.isFinite(expiresAt)) return undefined;
  const record: SessionRecord = { id, version, createdAt, updatedAt, expiresAt, itemCount, lastSeq };
  if (data) record.data = value.slice(HEADER);
  return record;
}

/** Whether `record` exists and has not expired at `now`. */
export function live(record: SessionRecord | undefined, now: EpochMilliseconds): record is SessionRecord {
  return record !== undefined && (record.expiresAt === null || record.expiresAt > now);
}

/** Whether `err` (or its cause) is Redis saying the key holds another type: not one of ours. */
export function foreign(err: unknown): boolean {
  const cause = err instanceof StoreUnavailableError ? err.cause : err;
  return cause instanceof Error && cause.message.startsWith('WRONGTYPE');
}

/** Refuses a time the header could not give back as a `Date`, before anything is sent. */
export function checkTime(name: string, value: number | null): void {
  if (value !== null && !(value <= MAX_TIME)) throw new RangeError(`${name} ${value} is past the latest Date`);
}

/** A random prefix of this process's write tokens: 8 characters of `A–Z a–z 0–9 - _`. */
const TOKEN_PREFIX = randomBytes(6).toString('base64url');
let tokens = 0;

/**
 * A token no other write carries: this process's prefix and a counter. A write script stores
 * it in the session's header and recognises a write it has already applied by it.
 */
export function token(): string {
  return TOKEN_PREFIX + (tokens++).toString(36);
}
