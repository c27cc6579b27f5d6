/**
 * Reading what a request says: the identifier segment, the query, condition headers, the
 * content type and the JSON body. Each function throws a 4xx {@link SessionError} on bad input.
 *
 * @module
 */
import { InvalidArgumentError, InvalidIdentifierError } from '../errors.js';
import type { ItemsOptions } from '../items.js';
import type { ListOptions } from '../manager.js';
import { assertIdentifier } from '../identifier.js';
import { quote } from '../json.js';
import { HttpError } from './problem.js';

/**
 * The query values a request will act on, as the handler parsed them; `authorize` receives
 * them: `{ prefix, cursor, limit, fields }` for `list`, `{ after, before, limit, order }` for
 * `items`, `{ after }` or `{ before }` for `truncate`, and `{}` for every other action. An
 * absent member means the manager's default.
 */
export type SessionsQuery = Readonly<ListOptions & ItemsOptions>;

/** What every action without query parameters acts on. */
export const NO_QUERY: SessionsQuery = Object.freeze({});

/** The query parameters the routes read; each may appear at most once. */
const PARAMETERS = new Set(['limit', 'cursor', 'prefix', 'fields', 'after', 'before', 'order']);
const JSON_TYPE = 'application/json';
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The list options a query asks for. Empty parameters count as absent, unknown ones are
 * ignored, and a parameter the routes read that appears twice is refused (so that no one can
 * read a different value than the one acted on).
 */
export function listQuery(query: string): SessionsQuery {
  if (query === '') return NO_QUERY;
  const options: ListOptions = {};
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(query)) {
    if (!PARAMETERS.has(name)) continue;
    if (seen.has(name)) {
      throw new InvalidArgumentError(`query parameter ${name} appears more than once; send it once`);
    }
    seen.add(name);
    if (value === '') continue;
    if (name === 'limit') {
      if (!/^[0-9]{1,4}$/.test(value)) {
        throw new InvalidArgumentError(`limit must be a whole number from 1 to 1000; got ${quote(value)}`);
      }
      options.limit = Number(value);
    } else if (name === 'cursor') options.cursor = value;
    else if (name === 'prefix') options.prefix = value;
    else if (name === 'fields') options.fields = value as ListOptions['fields'];
  }
  return Object.freeze(options);
}

const SEQ = /^[0-9]{1,16}$/;

/** A seq bound of the query: a whole number ≥ 0 (400 otherwise). */
function seqBound(name: string, value: string): number {
  const n = Number(value);
  if (!SEQ.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`${name} must be a whole number ≥ 0 (a seq); got ${quote(value)}`);
  }
  return n;
}

/**
 * The items options a query asks for (`after`, `before`, `limit`, `order`), under the rules of
 * {@link listQuery}: empty counts as absent, unknown is ignored, a repeat is refused.
 * `truncate` asks for exactly one of `after` and `before` (and ignores `limit` and `order`).
 */
export function itemsQuery(query: string, truncate: boolean): SessionsQuery {
  const options: ItemsOptions = {};
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(query)) {
    if (!PARAMETERS.has(name)) continue;
    if (seen.has(name)) {
      throw new InvalidArgumentError(`query parameter ${name} appears more than once; send it once`);
    }
    seen.add(name);
    if (value === '') continue;
    if (name === 'after' || name === 'before') options[name] = seqBound(name, value);
    else if (truncate) continue;
    else if (name === 'limit') {
      if (!/^[0-9]{1,4}$/.test(value)) {
        throw new InvalidArgumentError(`limit must be a whole number from 1 to 1000; got ${quote(value)}`);
      }
      options.limit = Number(value);
    } else if (name === 'order') {
      if (value !== 'asc' && value !== 'desc') {
        throw new InvalidArgumentError(`order must be asc or desc; got ${quote(value)}`);
      }
      options.order = value;
    }
  }
  if (truncate && (options.after === undefined) === (options.before === undefined)) {
    throw new InvalidArgumentError(
      'DELETE …/items needs exactly one of ?after=<seq> (remove the items after it) and ?before=<seq> (remove the items before it)',
    );
  }
  return Object.freeze(options);
}

const KEY = /^[\x21-\x7e]{1,256}$/;

/** The `Idempotency-Key` header: `undefined` when absent, 400 unless 1–256 characters 0x21–0x7E. */
export function idempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined || KEY.test(value)) return value;
  throw new InvalidArgumentError(
    `Idempotency-Key must be 1–256 printable ASCII characters without spaces (0x21–0x7E); got ${quote(value.slice(0, 300))}`,
  );
}

/** Decodes the identifier segment of the path once, refusing bad or `/`-bearing encodings. */
export function decodeId(segment: string): string {
  let id: string;
  try {
    id = segment.includes('%') ? decodeURIComponent(segment) : segment;
  } catch {
    throw new InvalidIdentifierError(`identifier segment ${quote(segment)} is not valid percent-encoded UTF-8`);
  }
  assertIdentifier(id);
  return id;
}

/** One entity tag of an `If-Match`/`If-None-Match` list. */
export interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** `*` or a list of entity tags. */
export type Condition = '*' | EntityTag[];

/** Parses `*` or a comma-separated list of entity tags; `null` when malformed. */
export function parseTags(value: string): Condition | null {
  const text = value.trim();
  if (text === '*') return '*';
  const tags: EntityTag[] = [];
  let i = 0;
  while (i < text.length) {
    let weak = false;
    if (text.startsWith('W/', i)) {
      weak = true;
      i += 2;
    }
    if (text[i] !== '"') return null;
    const end = text.indexOf('"', i + 1);
    if (end < 0) return null;
    tags.push({ weak, opaque: text.slice(i + 1, end) });
    i = end + 1;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i < text.length) {
      if (text[i] !== ',') return null;
      i++;
      while (text[i] === ' ' || text[i] === '\t' || text[i] === ',') i++;
    }
  }
  return tags.length === 0 ? null : tags;
}

/** Whether `tags` match `version` (weak comparison unless `strong`). */
export function tagsMatch(tags: Condition, version: number, strong: boolean): boolean {
  if (tags === '*') return true;
  const opaque = String(version);
  return tags.some((t) => t.opaque === opaque && !(strong && t.weak));
}

/** A condition header of a write, parsed: `undefined` when absent, 400 when malformed. */
export function conditionHeader(name: string, value: string | undefined): Condition | undefined {
  if (value === undefined) return undefined;
  const tags = parseTags(value);
  if (tags === null) {
    throw new InvalidArgumentError(`${name} must be * or a list of quoted entity tags such as "3"; got ${quote(value)}`);
  }
  return tags;
}

/** Refuses (415) a `Content-Type` that is not JSON (`application/json` or `application/*+json`, UTF-8). */
export function assertJsonType(value: string | undefined): void {
  if (isJsonType(value)) return;
  throw new HttpError(
    'unsupported_media_type',
    415,
    `Content-Type must be application/json (UTF-8); got ${value === undefined ? 'none' : quote(value)}`,
  );
}

function isJsonType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  if (type !== JSON_TYPE && !(type.startsWith('application/') && type.endsWith('+json'))) return false;
  if (semi < 0) return true;
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(value);
  return charset === null || /^utf-?8$/i.test(charset[1] ?? '');
}

/**
 * Decodes a body as strict UTF-8 and parses it as JSON (400 `invalid_json` otherwise; an
 * empty body is told to send `shape`).
 */
export function parseJson(bytes: Uint8Array, shape: string): unknown {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new HttpError('invalid_json', 400, 'request body is not valid UTF-8');
  }
  if (text.trim() === '') {
    throw new HttpError('invalid_json', 400, `request body is empty; send ${shape}`);
  }
  try {
    // JSON.parse defines every key, `__proto__` included, as an own data property: no
    // prototype is ever set from the body.
    return JSON.parse(text);
  } catch (err) {
    const why = err instanceof SyntaxError ? `: ${err.message.slice(0, 160)}` : '';
    throw new HttpError('invalid_json', 400, `request body is not valid JSON${why}`);
  }
}

/** Checks a POST …/items body, parsed here or by the host: the items and their options. */
export function appendBody(body: unknown): { items: unknown[]; ttl: unknown; replaceAfter: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidArgumentError('request body must be a JSON object { "items": [<JSON>, …], "ttl"?: <ms>, "replaceAfter"?: <seq> }');
  }
  const fields = body as Record<string, unknown>;
  if (!Object.hasOwn(body, 'items') || !Array.isArray(fields.items)) {
    throw new InvalidArgumentError('request body needs "items", an array of 1 to 1000 JSON values');
  }
  return {
    items: fields.items,
    ttl: Object.hasOwn(body, 'ttl') ? fields.ttl : undefined,
    replaceAfter: Object.hasOwn(body, 'replaceAfter') ? fields.replaceAfter : undefined,
  };
}

/** Checks a PUT body, parsed here or by the host, and returns what to store. */
export function putBody(body: unknown, id: string): { data: unknown; ttl: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidArgumentError('request body must be a JSON object { "data": <JSON>, "ttl"?: <ms> }');
  }
  if (!Object.hasOwn(body, 'data')) {
    throw new InvalidArgumentError('request body has no "data"; send { "data": <JSON>, "ttl"?: <ms> }');
  }
  const fields = body as Record<string, unknown>;
  if (Object.hasOwn(body, 'id') && fields.id !== id) {
    throw new InvalidArgumentError(`"id" in the body (${quote(fields.id)}) must equal the path's (${quote(id)})`);
  }
  return { data: fields.data, ttl: Object.hasOwn(body, 'ttl') ? fields.ttl : undefined };
}
