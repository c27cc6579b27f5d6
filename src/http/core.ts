/**
 * The HTTP core shared by both edges: it maps a request (method, path, query, headers, a way
 * to read the body) to a response (status, headers, body) and knows nothing of Node or fetch.
 * One method per route; HEAD is answered once, as GET without a body.
 *
 * @module
 */
import { SessionError, VersionConflictError } from '../errors.js';
import type { SessionManager } from '../manager.js';
import { clearSessionText, getSessionText, putSessionText } from '../session-text.js';
import { quote } from '../json.js';
import {
  NO_QUERY,
  assertJsonType,
  conditionHeader,
  decodeId,
  listQuery,
  parseJson,
  parseTags,
  putBody,
  tagsMatch,
  type Condition,
  type SessionsQuery,
} from './parse.js';
import { ItemRoutes, type RouteKit } from './items.js';
import { LeaseRoutes, sessionFence } from './lease.js';
import { HttpError, bodyTooLarge, problemHeaders, problemOf } from './problem.js';
import { NOT_PARSED, type CoreResponse, type HostAdapter, type SessionAction, type SessionsHandlerOptions } from './types.js';

const MIB = 1024 * 1024;
const COLLECTION_ALLOW = 'GET, HEAD';
const SESSION_ALLOW = 'GET, HEAD, PUT, DELETE';
const JSON_TYPE = 'application/json';
const CACHE_CONTROL = 'private, no-cache';
const TAG_VERSION = /^[1-9][0-9]{0,14}$/;
const PUT_SHAPE = '{ "data": <JSON>, "ttl"?: <ms> }';

/** A body-reading failure that left the request body unread: the edge closes the connection. */
class UnreadBody {
  constructor(readonly error: unknown) {}
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
export class SessionsCore<R> implements RouteKit<R> {
  readonly #manager: SessionManager<unknown>;
  readonly #base: string;
  readonly #maxBodyBytes: number;
  readonly #bodyTimeout: number;
  readonly #authorize: SessionsHandlerOptions<R>['authorize'];
  readonly #onError: (error: unknown) => void;
  readonly #host: HostAdapter<R>;
  readonly #items: ItemRoutes<R>;
  readonly #lease: LeaseRoutes<R>;

  constructor(manager: SessionManager<unknown>, options: SessionsHandlerOptions<R>, host: HostAdapter<R>) {
    if (manager === null || typeof manager !== 'object' || typeof manager.get !== 'function') {
      throw new TypeError('manager must be a SessionManager');
    }
    const { authorize, onError } = options;
    if (authorize !== undefined && typeof authorize !== 'function') {
      throw new TypeError('authorize must be a function (request, action, id, query) => boolean | Promise<boolean>');
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
    this.#items = new ItemRoutes(manager, this);
    this.#lease = new LeaseRoutes(manager, this);
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
    return this.#problem(
      new HttpError('not_found', 404, `no such route; the routes are ${base || '/'}, ${base}/{identifier}, ${base}/{identifier}/items and ${base}/{identifier}/lease`),
    );
  }

  /**
   * Answers one request. HEAD is routed as GET, and its answer (success or problem) is
   * sent without a body.
   *
   * @param request - the host's request
   * @param method - the HTTP method, upper case
   * @param tail - what {@link SessionsCore.match} returned
   * @param query - the raw query string, without `?`
   * @param publicPath - the path as the client sent it (for `Content-Location`)
   */
  async handle(request: R, method: string, tail: string, query: string, publicPath: string): Promise<CoreResponse> {
    if (method !== 'HEAD') return this.#route(request, method, tail, query, publicPath);
    const response = await this.#route(request, 'GET', tail, query, publicPath);
    response.body = undefined;
    return response;
  }

  async #route(request: R, method: string, tail: string, query: string, publicPath: string): Promise<CoreResponse> {
    try {
      if (tail === '') {
        return method === 'GET' ? await this.#list(request, query) : this.methodNotAllowed(method, COLLECTION_ALLOW);
      }
      const slash = tail.indexOf('/');
      if (slash >= 0) {
        const answer = (await this.#items.route(request, method, tail, slash, query)) ?? (await this.#lease.route(request, method, tail, slash));
        return answer ?? this.notFound();
      }
      switch (method) {
        case 'GET':
          return await this.#get(request, decodeId(tail));
        case 'PUT':
          return await this.#put(request, decodeId(tail), tail, publicPath);
        case 'DELETE':
          return await this.#clear(request, decodeId(tail));
        default:
          return this.methodNotAllowed(method, SESSION_ALLOW);
      }
    } catch (err) {
      if (!(err instanceof UnreadBody)) return this.#problem(err);
      // A body refused mid-stream (413, 408) is left unread: close rather than drain it.
      const response = this.#problem(err.error);
      response.close = true;
      return response;
    }
  }

  /** `GET {basePath}`: one page of sessions. */
  async #list(request: R, query: string): Promise<CoreResponse> {
    const options = listQuery(query);
    if (this.#authorize !== undefined) await this.allow(request, 'list', undefined, options);
    const page = await this.#manager.list(options);
    return ok(200, { 'content-type': JSON_TYPE, 'cache-control': CACHE_CONTROL }, JSON.stringify(page));
  }

  /** `GET {basePath}/{id}`: the session, or 304 when `If-None-Match` holds its ETag. */
  async #get(request: R, id: string): Promise<CoreResponse> {
    if (this.#authorize !== undefined) await this.allow(request, 'get', id, NO_QUERY);
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
    return ok(200, { 'content-type': JSON_TYPE, etag, 'cache-control': CACHE_CONTROL }, `{"session":${session.json}}`);
  }

  /** `PUT {basePath}/{id}`: stores the body's `data`, answering the stored session. */
  async #put(request: R, id: string, tail: string, publicPath: string): Promise<CoreResponse> {
    if (this.#authorize !== undefined) await this.allow(request, 'put', id, NO_QUERY);
    const fence = sessionFence(this.#host.header(request, 'session-fence'));
    const ifMatch = conditionHeader('If-Match', this.#host.header(request, 'if-match'));
    const ifNoneMatch = conditionHeader('If-None-Match', this.#host.header(request, 'if-none-match'));
    assertJsonType(this.#host.header(request, 'content-type'));
    const { data, ttl } = putBody(await this.body(request, PUT_SHAPE), id);
    const ifVersion = await this.ifVersion(id, ifMatch, ifNoneMatch, true, 'replacing');
    const session = await putSessionText(this.#manager, id, data, { ttl: ttl as number | undefined, ifVersion, fence });
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

  /** `DELETE {basePath}/{id}`: removes the session, answering it. */
  async #clear(request: R, id: string): Promise<CoreResponse> {
    if (this.#authorize !== undefined) await this.allow(request, 'clear', id, NO_QUERY);
    const fence = sessionFence(this.#host.header(request, 'session-fence'));
    const ifMatch = conditionHeader('If-Match', this.#host.header(request, 'if-match'));
    const ifNoneMatch = conditionHeader('If-None-Match', this.#host.header(request, 'if-none-match'));
    const ifVersion = await this.ifVersion(id, ifMatch, ifNoneMatch, false, 'removing');
    const session = await clearSessionText(this.#manager, id, { ifVersion, fence });
    if (session === undefined) throw missing(id);
    return ok(200, { 'content-type': JSON_TYPE }, `{"session":${session.json}}`);
  }

  /** The request's header `name` (lower-case), or `undefined`. */
  header(request: R, name: string): string | undefined {
    return this.#host.header(request, name);
  }

  /**
   * The request body: the one the host parsed, or read here within `maxBodyBytes` and
   * `bodyTimeout` and parsed as JSON (`shape` tells a client who sent none what to send).
   * The declared length is checked either way.
   */
  async body(request: R, shape: string): Promise<unknown> {
    const host = this.#host;
    const parsed = host.parsedBody(request);
    const length = host.header(request, 'content-length');
    const tooLarge = length !== undefined && Number(length) > this.#maxBodyBytes;
    if (parsed !== NOT_PARSED) {
      if (tooLarge) throw bodyTooLarge(this.#maxBodyBytes);
      return parsed;
    }
    let bytes: Uint8Array;
    try {
      if (tooLarge) throw bodyTooLarge(this.#maxBodyBytes);
      bytes = await host.readBody(request, this.#maxBodyBytes, this.#bodyTimeout);
    } catch (err) {
      throw new UnreadBody(err);
    }
    return parseJson(bytes, shape);
  }

  /** Throws 403 unless `authorize` returns `true` (allows everything when there is none). */
  async allow(request: R, action: SessionAction, id: string | undefined, query: SessionsQuery): Promise<void> {
    const authorize = this.#authorize;
    if (authorize === undefined) return;
    let allowed = authorize(request, action, id, query);
    if (typeof allowed !== 'boolean') allowed = await allowed;
    if (allowed !== true) {
      throw new HttpError('forbidden', 403, `not allowed to ${action}${id === undefined ? ' sessions' : ` session ${quote(id)}`}`);
    }
  }

  /**
   * Turns `If-Match`/`If-None-Match` into the manager's `ifVersion`. The common forms map
   * directly (`If-Match: "n"` → n, `If-None-Match: *` on a write that may `create` → 0); any
   * other combination is evaluated against the current version, which then becomes
   * `ifVersion`, so that the write still fails if someone else wrote in between. A write that
   * may not create answers 404 when there is no session. `verb` names the write in messages.
   */
  async ifVersion(
    id: string,
    ifMatch: Condition | undefined,
    ifNoneMatch: Condition | undefined,
    create: boolean,
    verb: string,
  ): Promise<number | undefined> {
    if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
    if (ifNoneMatch === undefined && ifMatch !== '*' && ifMatch?.length === 1) {
      const tag = ifMatch[0]!;
      if (!tag.weak && TAG_VERSION.test(tag.opaque)) return Number(tag.opaque);
    }
    if (create && ifMatch === undefined && ifNoneMatch === '*') return 0;
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
        `session ${quote(id)} exists at version ${version}; If-None-Match forbids ${verb} it`,
        version,
      );
    }
    if (!create && current === undefined) throw missing(id);
    return version;
  }

  /** 405 for `method`, with `Allow`. */
  methodNotAllowed(method: string, allow: string): CoreResponse {
    const response = this.#problem(
      new HttpError('method_not_allowed', 405, `${quote(method)} is not allowed here; use ${allow}`),
    );
    response.headers.allow = allow;
    return response;
  }

  #problem(err: unknown): CoreResponse {
    const { status, body, report } = problemOf(err);
    const headers = problemHeaders(err, status);
    if (report) {
      try {
        this.#onError(err);
      } catch {
        // A failing logger must not turn into a second failure.
      }
    }
    return ok(status, headers, body);
  }
}

function ok(status: number, headers: Record<string, string>, body: string | undefined): CoreResponse {
  return { status, headers, body, close: false };
}

function missing(id: string): SessionError {
  return new HttpError('not_found', 404, `no session ${quote(id)}`);
}
