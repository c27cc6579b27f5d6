/**
 * Fast ISO 8601 text of a time, for the three timestamps of every session read.
 *
 * @module
 */
import type { EpochMilliseconds } from './types.js';

/** The latest (and, negated, the earliest) time a `Date` can hold, ms since epoch. */
export const MAX_DATE: EpochMilliseconds = 8.64e15;

const DAY = 86_400_000;
const YEAR_10000 = 253_402_300_800_000;
let lastDay = NaN;
let lastDayText = '';
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * `new Date(ms).toISOString()`, about six times faster: the date part of the last day seen is
 * kept, and the time of day is formatted by arithmetic. Times outside years 1970–9999 or with
 * a fraction of a ms take `toISOString` itself. Like it, throws a `RangeError` past
 * {@link MAX_DATE}; {@link timeText} never throws.
 */
export function isoTime(ms: EpochMilliseconds): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= YEAR_10000) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY);
  if (day !== lastDay) {
    lastDay = day;
    lastDayText = new Date(day * DAY).toISOString().slice(0, 11); // 'YYYY-MM-DDT'
  }
  let rest = ms - day * DAY;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = Math.floor(rest / 1000);
  return `${lastDayText}${pad2(h)}:${pad2(m)}:${pad2(sec)}.${pad3(rest - sec * 1000)}Z`;
}

/**
 * {@link isoTime} of a stored time, never throwing: a time no `Date` can hold reads as the
 * nearest end of the `Date` range (`NaN` as the earliest, as an expiry that has passed).
 * The manager never stores such times; this keeps a read working if a store returns one.
 */
export function timeText(ms: EpochMilliseconds): string {
  return isoTime(ms <= MAX_DATE && ms >= -MAX_DATE ? ms : ms > 0 ? MAX_DATE : -MAX_DATE);
}
