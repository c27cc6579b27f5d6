/**
 * Checks of numeric options, one family for the whole library: a constructor option that is
 * wrong is a `TypeError` naming it, thrown when the object is built; a call's option that is
 * wrong is an {@link InvalidArgumentError} (HTTP 400). Each check returns the value, or
 * `undefined` when it was not given.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import { LATEST_TIME } from './iso-time.js';
import { quote } from './json.js';

/** Makes the error a failed check throws. */
export type Refusal = (message: string) => Error;

/** For constructor options. */
export const optionError: Refusal = (message) => new TypeError(message);

/** For the options of a call. */
export const argumentError: Refusal = (message) => new InvalidArgumentError(message);

/**
 * A duration in ms: a positive number no larger than {@link LATEST_TIME} (no session holds a
 * later time). Whether `now + duration` is still in range is {@link deadline}'s check.
 */
export function duration(name: string, value: unknown, refuse: Refusal): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0 && value <= LATEST_TIME)) {
    throw refuse(`${name} must be a positive number of milliseconds, at most ${LATEST_TIME}; got ${quote(value)}`);
  }
  return value;
}

/** A whole number from `min` to `max` (both included). */
export function whole(name: string, value: unknown, min: number, max: number, refuse: Refusal): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw refuse(`${name} must be a whole number ${range}; got ${quote(value)}`);
  }
  return value as number;
}

/**
 * `now + ms`, the deadline a duration named `name` sets, refused when it is past
 * {@link LATEST_TIME} (so that no session is stored with a time that cannot be read back as
 * an RFC 3339 timestamp).
 */
export function deadline(name: string, now: number, ms: number, refuse: Refusal): number {
  const at = now + ms;
  if (at > LATEST_TIME) {
    throw refuse(`${name} ${ms} from now is past the latest date a session can hold (9999-12-31T23:59:59.999Z); use a shorter ${name}`);
  }
  return at;
}

/** The `fence` option of a write: a whole number ≥ 1, as leases issue them. */
export function fence(value: unknown): number | undefined {
  return whole('fence', value, 1, Number.MAX_SAFE_INTEGER, argumentError);
}
