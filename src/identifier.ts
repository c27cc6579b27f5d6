/**
 * The identifier rules: 1–256 characters of `A–Z a–z 0–9 . _ ~ : @ -`, not dots alone.
 *
 * @module
 */
import { InvalidIdentifierError } from './errors.js';
import { quote } from './json.js';

const IDENTIFIER = /^[A-Za-z0-9._~:@-]{1,256}$/;
const DOTS_ONLY = /^\.+$/;

/** Throws {@link InvalidIdentifierError} unless `id` is a valid session identifier. */
export function assertIdentifier(id: unknown): asserts id is string {
  // 46 is "."; only an id that starts with a dot can be dots alone
  if (typeof id === 'string' && IDENTIFIER.test(id) && (id.charCodeAt(0) !== 46 || !DOTS_ONLY.test(id))) return;
  throw new InvalidIdentifierError(
    `identifier must be 1–256 characters of A–Z a–z 0–9 . _ ~ : @ - and not dots alone; got ${
      typeof id === 'string' ? quote(id) : typeof id
    }`,
  );
}

/** Whether `prefix` could start an identifier (empty, or characters of the identifier alphabet). */
export function isIdentifierPrefix(prefix: string): boolean {
  return prefix === '' || (prefix.length <= 256 && IDENTIFIER.test(prefix));
}

