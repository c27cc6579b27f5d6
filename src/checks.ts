/**
 * Checks of numeric options, one family for the whole library: a constructor option that is
 * wrong is a `TypeError` naming it, thrown when the object is built; a call's option that is
 * wrong is an {@link InvalidArgumentError} (HTTP 400). Each check returns the value, or
 * `undefined` when it was not given.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import { MAX_DATE } from './iso-time.js';
import { quote } from './json.js';

/** Makes the error a failed check throws. */
export type Refusal = (message: string) => Error;

/** For constructor options. */
export const optionError: Refusal = (message) => new TypeError(message);

/** For the options of a call. */
export const argumentError: Refusal = (message) => new InvalidArgumentError(message);

/**
 * A duration in ms: a positive number no larger than {@link MAX_DATE} (nothing later can be
 * a `Date`). Whether `now + duration` is still a `Date` is {@link deadline}'s check.
 */
export function duration(name: string, value: unknown, refuse: Refusal): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0 && value <= MAX_DATE)) {
    throw refuse(`${name} must be a positive number of milliseconds, at most ${MAX_DATE}; got ${quote(value)}`);
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
 * `now + ms`, the deadline a duration named `name` sets, refused when it is past the latest
 * `Date` (so that no session is stored with a time that cannot be read back).
 */
export function deadline(name: string, now: number, ms: number, refuse: Refusal): number {
  const at = now + ms;
  if (at > MAX_DATE) {
    throw refuse(`${name} ${ms} from now is past the latest date a Date can hold (${MAX_DATE} ms since epoch); use a shorter ${name}`);
  }
  return at;
}
