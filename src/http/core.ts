/**
 * The HTTP core shared by both edges: it maps a request (method, path, query, headers, a way
 * to read the body) to a response (status, headers, body) and knows nothing of Node or fetch.
 *
 * @module
 */
import {
  InvalidArgumentError,
  InvalidIdentifierError,
  PayloadTooLargeError,
  SessionError,
  ValidationError,
  VersionConflictError,
} from '../errors.js';
import { assertIdentifier } from '../identifier.js';
import type { ListOptions, SessionManager } from '../manager.js';
import { clearSessionText, getSessionText, putSessionText } from '../session-text.js';
import { quote } from '../json.js';

/** What a request asks to do; `authorize` receives it. HEAD counts as the matching GET. */
export type SessionAction = 'list' | 'get' | 'put' | 'clear';

/**
 * Options of both HTTP handlers.
 *
 * @typeParam R - what `authorize` receives: the Node `IncomingMessage` (or Express request)
 *   for {@link createSessionsHandler}, the `Request` for {@link createFetchHandler}
 */
export interface SessionsHandlerOptions<R> {
  /**
   * The path the routes live under: `GET {basePath}`, `GET|PUT|DELETE {basePath}/{identifier}`.
   * Use `''` to serve them at the root. Requests outside it go to `next()` (Node edge, when
   * given) or get a 404.
   * @defaultValue `'/sessions'`
   */
  basePath?: string;
  /**
   * Largest request body accepted, in bytes. A larger `Content-Length` is refused with 413
   * before a byte is read; a body that grows past it while streaming is refused as soon as it
   * does, and the connection is closed instead of reading the rest.
   * @defaultValue 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Time allowed to receive a whole request body, in ms, counted from when the handler starts
   * reading it. A body that trickles in slower gets 408 and the connection is closed.
   * @defaultValue 10000
   */
  bodyTimeout?: number;
  /**
   * Decides whether a request may do `action` (on session `id`, absent for `list`). Runs
   * after the route, method and identifier are checked, and before the body is read or any
   * store is called. Only `true` allows; anything else answers 403. A thrown
   * {@link SessionError} answers with its status; any other throw answers 500.
   *
   * `request` is the host's own request object: the `IncomingMessage` passed to the Node
   * handler (an Express `Request` in Express, `request.raw` in Fastify), or the fetch
   * `Request`.
   * @defaultValue none: every request is allowed
   */
  authorize?(request: R, action: SessionAction, id?: string): boolean | Promise<boolean>;
  /**
   * Called with every error that answers 5xx (a store that failed, a bug, a throwing
   * `authorize`), for logging. The client only ever sees a generic problem body.
   * @defaultValue `console.error`
   */
  onError?(error: unknown): void;
}

/** A response for an edge to send. */
export interface CoreResponse {
  /** HTTP status. */
  status: number;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
  /** The body text, or `undefined` for none (304, HEAD). */
  body: string | undefined;
  /** `true` when the request body was left unread: the edge should close the connection. */
  close: boolean;
}

/**
 * How the core reaches into one kind of host request. Each edge has one such object, shared
 * by every request, so no closure is made per request.
 */
export interface HostAdapter<R> {
  /** The value of header `name` (lower-case), or `undefined`. */
  header(request: R, name: string): string | undefined;
  /** A body a host framework has already parsed, or {@link NOT_PARSED}. */
  parsedBody(request: R): unknown;
  /**
   * Reads the whole raw body, refusing more than `limit` bytes (413) or taking longer than
   * `timeout` ms (408) by throwing a {@link SessionError}.
   */
  readBody(request: R, limit: number, timeout: number): Promise<Uint8Array>;
}

/** Returned by {@link HostAdapter.parsedBody} when the host has not parsed the body. */
export const NOT_PARSED: unique symbol = Symbol('agent-sessions.notParsed');

const MIB = 1024 * 1024;
const COLLECTION_ALLOW = 'GET, HEAD';
const ITEM_ALLOW = 'GET, HEAD, PUT, DELETE';
const JSON_TYPE = 'application/json';
const PROBLEM_TYPE = 'application/problem+json';
const CACHE_CONTROL = 'private, no-cache';
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const TAG_VERSION = /^[1-9][0-9]{0,14}$/;

/** An error of the HTTP layer itself (not of the manager). */
class HttpError extends SessionError {
  /** Extra members of the problem body. */
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: string, status: number, message: string, extra?: Record<string, unknown>) {
    super(code, status, message);
    this.extra = extra;
  }
}

/** Thrown by body readers: 413 when the body exceeds `limit`. */
export function bodyTooLarge(limit: number): SessionError {
  return new PayloadTooLargeError(`request body is over maxBodyBytes ${limit}; send less`, limit);
}

/** Thrown by body readers: 408 when the body takes longer than `timeout` ms. */
export function bodyTimedOut(timeout: number): SessionError {
  return new HttpError('request_timeout', 408, `request body did not arrive within ${timeout} ms`);
}

/** Thrown by body readers when the client went away mid-body (no one will see the answer). */
export function bodyAborted(): SessionError {
  return new HttpError('request_aborted', 400, 'the client closed the request before its body ended');
}

/** One entity tag of an `If-Match`/`If-None-Match` list. */
interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** Parses `*` or a comma-separated list of entity tags; `null` when malformed. */
function parseTags(value: string): '*' | EntityTag[] | null {
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
function tagsMatch(tags: '*' | EntityTag[], version: number, strong: boolean): boolean {
  if (tags === '*') return true;
  const opaque = String(version);
  return tags.some((t) => t.opaque === opaque && !(strong && t.weak));
}

function conditionHeader(name: string, value: string | undefined): '*' | EntityTag[] | undefined {
  if (value === undefined) return undefined;
  const tags = parseTags(value);
  if (tags === null) {
    throw new InvalidArgumentError(`${name} must be * or a list of quoted entity tags such as "3"; got ${quote(value)}`);
  }
  return tags;
}

/** Whether a `Content-Type` is JSON (`application/json` or `application/*+json`, UTF-8). */
function isJsonType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  if (type !== JSON_TYPE && !(type.startsWith('application/') && type.endsWith('+json'))) return false;
  if (semi < 0) return true;
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(value);
  return charset === null || /^utf-?8$/i.test(charset[1] ?? '');
}

/** Decodes the identifier segment of the path once, refusing bad or `/`-bearing encodings. */
function decodeId(segment: string): string {
  let id: string;
  try {
    id = segment.includes('%') ? decodeURIComponent(segment) : segment;
  } catch {
    throw new InvalidIdentifierError(`identifier segment ${quote(segment)} is not valid percent-encoded UTF-8`);
  }
  assertIdentifier(id);
  return id;
}

function listOptions(query: string): ListOptions {
  const options: ListOptions = {};
  if (query === '') return options;
  const params = new URLSearchParams(query);
  const limit = params.get('limit');
  if (limit) {
    if (!/^[0-9]{1,4}$/.test(limit)) {
      throw new InvalidArgumentError(`limit must be a whole number from 1 to 1000; got ${quote(limit)}`);
    }
    options.limit = Number(limit);
  }
  const cursor = params.get('cursor');
  if (cursor) options.cursor = cursor;
  const prefix = params.get('prefix');
  if (prefix) options.prefix = prefix;
  const fields = params.get('fields');
  if (fields) options.fields = fields as ListOptions['fields'];
  return options;
}

function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new HttpError('invalid_json', 400, 'request body is not valid UTF-8');
  }
  if (text.trim() === '') {
    throw new HttpError('invalid_json', 400, 'request body is empty; send { "data": <JSON>, "ttl"?: <ms> }');
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

/** Checks a PUT body, parsed here or by the host, and returns what to store. */
function putBody(body: unknown, id: string): { data: unknown; ttl: unknown } {
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

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive whole number; got ${String(value)}`);
  }
  return value;
}

function normalizeBasePath(value: unknown): string {
  if (value === undefined) return '/sessions';
  if (typeof value !== 'string' || (value !== '' && !/^\/[A-Za-z0-9._~:@!$&'()*+,;=%/-]*$/.test(value))) {
    throw new TypeError(`basePath must be '' or a path starting with '/' (no query or fragment); got ${String(value)}`);
  }
  return value.endsWith('/') ? value.slice(0, -1) : value;
}

/**
 * The core shared by the Node and fetch handlers. An edge finds the route with
 * {@link SessionsCore.match} (synchronously, so that it can hand foreign requests to `next()`
 * at once), then awaits {@link SessionsCore.handle} and sends what it returns.
 *
 * @typeParam R - the host's request type, passed to `authorize` and to the host adapter
 */
export class SessionsCore<R> {
  readonly #manager: SessionManager<unknown>;
  readonly #base: string;
  readonly #maxBodyBytes: number;
  readonly #bodyTimeout: number;
  readonly #authorize: SessionsHandlerOptions<R>['authorize'];
  readonly #onError: (error: unknown) => void;
  readonly #host: HostAdapter<R>;

  constructor(manager: SessionManager<unknown>, options: SessionsHandlerOptions<R>, host: HostAdapter<R>) {
    if (manager === null || typeof manager !== 'object' || typeof manager.get !== 'function') {
      throw new TypeError('manager must be a SessionManager');
    }
    const { authorize, onError } = options;
    if (authorize !== undefined && typeof authorize !== 'function') {
      throw new TypeError('authorize must be a function (request, action, id?) => boolean | Promise<boolean>');
    }
    if (onError !== undefined && typeof onError !== 'function') {
      throw new TypeError('onError must be a function (error) => void');
    }
    this.#manager = manager;
    this.#base = normalizeBasePath(options.basePath);
    this.#maxBodyBytes = positive('maxBodyBytes', options.maxBodyBytes, MIB);
    this.#bodyTimeout = positive('bodyTimeout', options.bodyTimeout, 10_000);
    this.#authorize = authorize;
    this.#onError = onError ?? ((error) => console.error('agent-sessions/http: request failed', error));
    this.#host = host;
  }

  /**
   * Where `path` (raw, percent-encoded, without the query) falls: `undefined` outside
   * basePath, `''` for the collection, else the raw segments after `basePath/`.
   */
  match(path: string): string | undefined {
    const base = this.#base;
    if (!path.startsWith(base)) return undefined;
    const n = base.length;
    if (path.length === n || (path.length === n + 1 && path.charCodeAt(n) === 47)) return '';
    if (path.charCodeAt(n) !== 47) return undefined;
    return path.slice(n + 1);
  }

  /** A 404 problem response, for requests outside basePath when there is no `next()`. */
  notFound(): CoreResponse {
    const base = this.#base;
    return this.#problem(new HttpError('not_found', 404, `no such route; the routes are ${base || '/'} and ${base}/{identifier}`));
  }

  /**
   * Answers one request.
   *
   * @param request - the host's request
   * @param method - the HTTP method, upper case
   * @param tail - what {@link SessionsCore.match} returned
   * @param query - the raw query string, without `?`
   * @param publicPath - the path as the client sent it (for `Content-Location`)
   */
  async handle(request: R, method: string, tail: string, query: string, publicPath: string): Promise<CoreResponse> {
    let reading = false;
    try {
      const head = method === 'HEAD';
      if (tail === '') {
        if (method !== 'GET' && !head) return this.#methodNotAllowed(method, COLLECTION_ALLOW);
        if (this.#authorize !== undefined) await this.#allow(request, 'list', undefined);
        const page = await this.#manager.list(listOptions(query));
        return ok(200, { 'content-type': JSON_TYPE, 'cache-control': CACHE_CONTROL }, head ? undefined : JSON.stringify(page));
      }
      if (tail.includes('/')) return this.notFound();
      switch (method) {
        case 'GET':
        case 'HEAD': {
          const id = decodeId(tail);
          if (this.#authorize !== undefined) await this.#allow(request, 'get', id);
          const session = await getSessionText(this.#manager, id);
          if (session === undefined) throw missing(id);
          const etag = `"${session.version}"`;
          const inm = this.#host.header(request, 'if-none-match');
          if (inm !== undefined) {
            const tags = parseTags(inm);
            if (tags !== null && tagsMatch(tags, session.version, false)) {
              return ok(304, { etag, 'cache-control': CACHE_CONTROL }, undefined);
            }
          }
          return ok(
            200,
            { 'content-type': JSON_TYPE, etag, 'cache-control': CACHE_CONTROL },
            head ? undefined : `{"session":${session.json}}`,
          );
        }
        case 'PUT': {
          const id = decodeId(tail);
          if (this.#authorize !== undefined) await this.#allow(request, 'put', id);
          const host = this.#host;
          const { ifMatch, ifNoneMatch } = this.#conditions(request);
          const type = host.header(request, 'content-type');
          if (!isJsonType(type)) {
            throw new HttpError(
              'unsupported_media_type',
              415,
              `Content-Type must be application/json (UTF-8); got ${type === undefined ? 'none' : quote(type)}`,
            );
          }
          let body = host.parsedBody(request);
          reading = body === NOT_PARSED;
          // The declared length is checked even for a body the host parsed: the same limit.
          const length = host.header(request, 'content-length');
          if (length !== undefined && Number(length) > this.#maxBodyBytes) throw bodyTooLarge(this.#maxBodyBytes);
          if (body === NOT_PARSED) {
            const bytes = await host.readBody(request, this.#maxBodyBytes, this.#bodyTimeout);
            reading = false;
            body = parseJson(bytes);
          }
          const { data, ttl } = putBody(body, id);
          const ifVersion = await this.#ifVersion(id, ifMatch, ifNoneMatch, true);
          const session = await putSessionText(this.#manager, id, data, { ttl: ttl as number | undefined, ifVersion });
          const cut = publicPath.length - tail.length;
          return ok(
            200,
            {
              'content-type': JSON_TYPE,
              etag: `"${session.version}"`,
              'content-location': cut >= 0 ? publicPath.slice(0, cut) + id : `${this.#base}/${id}`,
            },
            `{"session":${session.json}}`,
          );
        }
        case 'DELETE': {
          const id = decodeId(tail);
          if (this.#authorize !== undefined) await this.#allow(request, 'clear', id);
          const { ifMatch, ifNoneMatch } = this.#conditions(request);
          const ifVersion = await this.#ifVersion(id, ifMatch, ifNoneMatch, false);
          const session = await clearSessionText(this.#manager, id, { ifVersion });
          if (session === undefined) throw missing(id);
          return ok(200, { 'content-type': JSON_TYPE }, `{"session":${session.json}}`);
        }
        default:
          return this.#methodNotAllowed(method, ITEM_ALLOW);
      }
    } catch (err) {
      const response = this.#problem(err);
      // A body refused mid-stream (413, 408) is left unread: close rather than drain it.
      if (reading) response.close = true;
      // HEAD gets the headers of the answer GET would get, and no body.
      if (method === 'HEAD') response.body = undefined;
      return response;
    }
  }

  /** The request's `If-Match` and `If-None-Match`, parsed (400 when malformed). */
  #conditions(request: R): { ifMatch: ReturnType<typeof conditionHeader>; ifNoneMatch: ReturnType<typeof conditionHeader> } {
    return {
      ifMatch: conditionHeader('If-Match', this.#host.header(request, 'if-match')),
      ifNoneMatch: conditionHeader('If-None-Match', this.#host.header(request, 'if-none-match')),
    };
  }

  /** Throws 403 unless `authorize` (which must be set) returns `true`. */
  async #allow(request: R, action: SessionAction, id: string | undefined): Promise<void> {
    const authorize = this.#authorize!;
    let allowed = authorize(request, action, id);
    if (typeof allowed !== 'boolean') allowed = await allowed;
    if (allowed !== true) {
      throw new HttpError('forbidden', 403, `not allowed to ${action}${id === undefined ? ' sessions' : ` session ${quote(id)}`}`);
    }
  }

  /**
   * Turns `If-Match`/`If-None-Match` into the manager's `ifVersion`. The common forms map
   * directly (`If-Match: "n"` → n, `If-None-Match: *` on PUT → 0); any other combination is
   * evaluated against the current version, which then becomes `ifVersion`, so that the write
   * still fails if someone else wrote in between.
   */
  async #ifVersion(
    id: string,
    ifMatch: '*' | EntityTag[] | undefined,
    ifNoneMatch: '*' | EntityTag[] | undefined,
    put: boolean,
  ): Promise<number | undefined> {
    if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
    if (ifNoneMatch === undefined && ifMatch !== '*' && ifMatch?.length === 1) {
      const tag = ifMatch[0]!;
      if (!tag.weak && TAG_VERSION.test(tag.opaque)) return Number(tag.opaque);
    }
    if (put && ifMatch === undefined && ifNoneMatch === '*') return 0;
    const current = await this.#manager.get(id);
    const version = current?.version ?? 0;
    if (ifMatch !== undefined && (current === undefined || !tagsMatch(ifMatch, version, true))) {
      throw new VersionConflictError(
        current === undefined
          ? `session ${quote(id)} does not exist, so If-Match fails`
          : `session ${quote(id)} is at version ${version}; If-Match does not match "${version}"`,
        version,
      );
    }
    if (ifNoneMatch !== undefined && current !== undefined && tagsMatch(ifNoneMatch, version, false)) {
      throw new VersionConflictError(
        `session ${quote(id)} exists at version ${version}; If-None-Match forbids ${put ? 'replacing' : 'removing'} it`,
        version,
      );
    }
    if (!put && current === undefined) throw missing(id);
    return version;
  }

  #methodNotAllowed(method: string, allow: string): CoreResponse {
    const response = this.#problem(
      new HttpError('method_not_allowed', 405, `${quote(method)} is not allowed here; use ${allow}`),
    );
    response.headers.allow = allow;
    return response;
  }

  #problem(err: unknown): CoreResponse {
    let status = 500;
    let code = 'internal';
    let detail = 'the server could not answer this request';
    let extra: Record<string, unknown> | undefined;
    const headers: Record<string, string> = { 'content-type': PROBLEM_TYPE };
    if (err instanceof SessionError && err.status >= 400 && err.status < 500) {
      status = err.status;
      code = err.code;
      detail = err.message;
      if (err instanceof HttpError) extra = err.extra;
      else if (err instanceof VersionConflictError) extra = { currentVersion: err.currentVersion };
      else if (err instanceof PayloadTooLargeError) extra = { limit: err.limit };
      else if (err instanceof ValidationError) extra = { issues: issues(err) };
    } else if (
      (err instanceof SessionError && err.status === 503) ||
      (err instanceof Error && (err as { code?: unknown }).code === 'store_unavailable')
    ) {
      status = 503;
      code = 'store_unavailable';
      detail = 'the session store did not answer; try again shortly';
      headers['retry-after'] = '1';
      this.#report(err);
    } else {
      this.#report(err);
    }
    const problem = { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, code, ...extra };
    return ok(status, headers, JSON.stringify(problem));
  }

  #report(err: unknown): void {
    try {
      this.#onError(err);
    } catch {
      // A failing logger must not turn into a second failure.
    }
  }
}

function ok(status: number, headers: Record<string, string>, body: string | undefined): CoreResponse {
  return { status, headers, body, close: false };
}

function missing(id: string): SessionError {
  return new HttpError('not_found', 404, `no session ${quote(id)}`);
}

function issues(err: ValidationError): Array<{ message: string; path?: Array<string | number> }> {
  return err.issues.slice(0, 20).map((i) => {
    const path = i.path?.map((p) => (typeof p === 'number' ? p : String(p)));
    return path === undefined ? { message: i.message } : { message: i.message, path };
  });
}
