/**
 * Thread ids and checkpoint namespaces ↔ session ids, reversibly.
 *
 * A `(thread_id, checkpoint_ns)` pair is one session: `<prefix><thread>` for the root namespace
 * `''`, `<prefix><thread>@<ns>` for a subgraph's. Each part keeps the characters
 * `A–Z a–z 0–9 . _ : -` and writes every other one (`~` and `@` included) as `~XX` per UTF-8
 * byte, so `@` only ever separates and decoding is exact.
 *
 * @module
 */
import { InvalidArgumentError } from '../../src/errors.js';
import { quote } from '../../src/json.js';

const KEPT = /[A-Za-z0-9._:-]/;
const SEPARATOR = '@';

/** One part of a session id: kept characters as they are, the others as `~XX` per UTF-8 byte. */
export function encodePart(text: string): string {
  let out = '';
  for (const char of text) {
    if (KEPT.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The text of a part {@link encodePart} wrote, or `undefined` if it could not have written it. */
export function decodePart(part: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < part.length; i++) {
    const char = part[i]!;
    if (char === '~') {
      const hex = part.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (KEPT.test(char)) bytes.push(char.charCodeAt(0));
    else return undefined;
  }
  const text = Buffer.from(bytes).toString('utf8');
  return encodePart(text) === part ? text : undefined; // refuses bad UTF-8 and needless escapes
}

/** The thread id a config names, checked: a non-empty string. */
export function threadOf(value: unknown, what: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw new InvalidArgumentError(
    `${what}: config.configurable.thread_id must be a non-empty string; got ${value === undefined ? 'none' : quote(value)}`,
  );
}

/** The checkpoint namespace a config names, checked: a string, `''` when absent. */
export function namespaceOf(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  throw new InvalidArgumentError(`config.configurable.checkpoint_ns must be a string; got ${quote(value)}`);
}

/** A `checkpoint_id` from a config: a non-empty string, or `undefined`. */
export function checkpointIdOf(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') return value;
  throw new InvalidArgumentError(`config.configurable.checkpoint_id must be a string; got ${quote(value)}`);
}

/** Session ids of one saver: `prefix` + thread (+ `@` + namespace). */
export class SessionIds {
  constructor(readonly prefix: string) {}

  /** The session of a thread's namespace. */
  id(thread: string, namespace: string): string {
    const base = this.prefix + encodePart(thread);
    return namespace === '' ? base : `${base}${SEPARATOR}${encodePart(namespace)}`;
  }

  /** The prefix every subgraph namespace of `thread` starts with. */
  namespacesOf(thread: string): string {
    return `${this.prefix}${encodePart(thread)}${SEPARATOR}`;
  }

  /** The thread and namespace of a session id, or `undefined` for an id this saver did not make. */
  parse(id: string): { thread: string; namespace: string } | undefined {
    if (!id.startsWith(this.prefix)) return undefined;
    const rest = id.slice(this.prefix.length);
    const at = rest.indexOf(SEPARATOR);
    const thread = decodePart(at < 0 ? rest : rest.slice(0, at));
    const namespace = at < 0 ? '' : decodePart(rest.slice(at + 1));
    if (thread === undefined || thread === '' || namespace === undefined || (at >= 0 && namespace === '')) return undefined;
    return { thread, namespace };
  }
}
