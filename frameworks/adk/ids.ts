/**
 * How ADK names (app, user, session) become session identifiers, reversibly.
 *
 * Each name is percent-encoded as `encodeURIComponent` does, with `! ' ( ) * ~` encoded too,
 * and then every `%` written as `~`: `user 42` → `user~2042`, `a:b` → `a~3Ab`. The empty name is
 * `~` alone. What comes out holds only `A–Z a–z 0–9 . _ - ~`, so `:` can join the parts:
 *
 * - an ADK session: `<prefix>s:<app>:<user>:<session>`, data = the session's own state;
 * - an app's state (`app:` keys): `<prefix>a:<app>`;
 * - a user's state (`user:` keys): `<prefix>u:<app>:<user>`.
 *
 * @module
 */
import { InvalidArgumentError } from '../../src/errors.js';

/** Encodes one ADK name into the identifier alphabet. */
export function encodeName(name: string, what: string): string {
  if (name === '') return '~';
  let encoded: string;
  try {
    encoded = encodeURIComponent(name);
  } catch {
    throw new InvalidArgumentError(`${what} must be well-formed Unicode (no lone surrogates)`);
  }
  return encoded
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%/g, '~');
}

/** The inverse of {@link encodeName}. */
export function decodeName(part: string): string {
  return part === '~' ? '' : decodeURIComponent(part.replace(/~/g, '%'));
}

/** The identifiers of one app, user and session under a key prefix. */
export class AdkIds {
  readonly #prefix: string;

  /** @param prefix - put before every identifier */
  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** The session holding an ADK session's own state and its events. */
  session(appName: string, userId: string, sessionId: string): string {
    return `${this.users(appName)}${encodeName(userId, 'userId')}:${encodeName(sessionId, 'sessionId')}`;
  }

  /** The session holding an app's `app:` state. */
  app(appName: string): string {
    return `${this.#prefix}a:${encodeName(appName, 'appName')}`;
  }

  /** The session holding a user's `user:` state. */
  user(appName: string, userId: string): string {
    return `${this.#prefix}u:${encodeName(appName, 'appName')}:${encodeName(userId, 'userId')}`;
  }

  /** The prefix every ADK session of an app starts with. */
  users(appName: string): string {
    return `${this.#prefix}s:${encodeName(appName, 'appName')}:`;
  }

  /** The prefix every ADK session of one user starts with. */
  sessions(appName: string, userId: string): string {
    return `${this.users(appName)}${encodeName(userId, 'userId')}:`;
  }

  /** The user and session names of an identifier listed under {@link users}. */
  parse(appName: string, id: string): { userId: string; sessionId: string } {
    const [user = '', session = ''] = id.slice(this.users(appName).length).split(':');
    return { userId: decodeName(user), sessionId: decodeName(session) };
  }
}
