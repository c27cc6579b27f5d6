/**
 * The opaque cursor of `list`: the last id of a page, tagged and base64url-encoded. Only a
 * cursor this module made decodes.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import { isIdentifierPrefix } from './identifier.js';
import { quote } from './json.js';

const CURSOR_TAG = 'c1.';

/** The cursor of the page after the one that ended with `lastId`. */
export function encodeCursor(lastId: string): string {
  return CURSOR_TAG + Buffer.from(lastId, 'utf8').toString('base64url');
}

/** The last id a cursor of {@link encodeCursor} holds; an {@link InvalidArgumentError} for anything else. */
export function decodeCursor(cursor: unknown): string {
  if (typeof cursor === 'string' && cursor.startsWith(CURSOR_TAG) && cursor.length <= 400) {
    const id = Buffer.from(cursor.slice(CURSOR_TAG.length), 'base64url').toString('utf8');
    if (encodeCursor(id) === cursor && isIdentifierPrefix(id) && id !== '') return id;
  }
  throw new InvalidArgumentError(
    `cursor must be a nextCursor returned by list; got ${quote(cursor)}. Start again without a cursor`,
  );
}
