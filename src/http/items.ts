/**
 * The routes of a session's item log (DESIGN.md §9): `POST|GET|DELETE {basePath}/{id}/items`
 * and `DELETE {basePath}/{id}/items/last`. They reach the request through the core
 * ({@link RouteKit}), so that auth, bodies, conditions and problems work as on every route.
 *
 * @module
 */
import { timeText } from '../iso-time.js';
import { quote } from '../json.js';
import { conflict, coreOf } from '../manager-core.js';
import type { SessionManager } from '../manager.js';
import { itemsText } from '../session-text.js';
import {
  NO_QUERY,
  appendBody,
  assertJsonType,
  conditionHeader,
  decodeId,
  idempotencyKey,
  itemsQuery,
  type Condition,
  type SessionsQuery,
} from './parse.js';
import { sessionFence } from './lease.js';
import { HttpError } from './problem.js';
import type { CoreResponse, SessionAction } from './types.js';

const LOG_ALLOW = 'GET, HEAD, POST, DELETE';
const LAST_ALLOW = 'DELETE';
const JSON_TYPE = 'application/json';
const CACHE_CONTROL = 'private, no-cache';
const APPEND_SHAPE = '{ "items": [<JSON>, …], "ttl"?: <ms>, "replaceAfter"?: <seq> }';

/** What the item routes use of the core: the parts every route shares. */
export interface RouteKit<R> {
  /** The request's header `name` (lower-case), or `undefined`. */
  header(request: R, name: string): string | undefined;
  /** The JSON body, read within the limits (`shape` is what to send, for an empty body). */
  body(request: R, shape: string): Promise<unknown>;
  /** 403 unless `authorize` allows `action`. */
  allow(request: R, action: SessionAction, id: string, query: SessionsQuery): Promise<void>;
  /** `If-Match`/`If-None-Match` as the manager's `ifVersion` (see the core). */
  ifVersion(id: string, ifMatch: Condition | undefined, ifNoneMatch: Condition | undefined, create: boolean, verb: string): Promise<number | undefined>;
  /** 405 with `Allow`. */
  methodNotAllowed(method: string, allow: string): CoreResponse;
}

/** The item routes of one handler. */
export class ItemRoutes<R> {
  readonly #manager: SessionManager<unknown>;
  readonly #kit: RouteKit<R>;

  constructor(manager: SessionManager<unknown>, kit: RouteKit<R>) {
    this.#manager = manager;
    this.#kit = kit;
  }

  /**
   * Answers `tail` (`{id}/…`, its first `/` at `slash`), or `undefined` when it is no route.
   * HEAD arrives here as GET.
   */
  async route(request: R, method: string, tail: string, slash: number, query: string): Promise<CoreResponse | undefined> {
    const rest = tail.slice(slash + 1);
    if (rest === 'items') {
      if (method === 'GET') return this.#items(request, decodeId(tail.slice(0, slash)), query);
      if (method === 'POST') return this.#append(request, decodeId(tail.slice(0, slash)));
      if (method === 'DELETE') return this.#truncate(request, decodeId(tail.slice(0, slash)), query);
      return this.#kit.methodNotAllowed(method, LOG_ALLOW);
    }
    if (rest === 'items/last') {
      if (method === 'DELETE') return this.#pop(request, decodeId(tail.slice(0, slash)));
      return this.#kit.methodNotAllowed(method, LAST_ALLOW);
    }
    return undefined;
  }

  /** `GET {basePath}/{id}/items`: one page of the log. */
  async #items(request: R, id: string, query: string): Promise<CoreResponse> {
    const options = itemsQuery(query, false);
    await this.#kit.allow(request, 'items', id, options);
    const page = await itemsText(this.#manager, id, options);
    if (page === undefined) throw missing(id);
    return answer(200, page.version, page.json, true);
  }

  /** `POST {basePath}/{id}/items`: appends the body's items; 200 instead of 201 for a replay. */
  async #append(request: R, id: string): Promise<CoreResponse> {
    const kit = this.#kit;
    await kit.allow(request, 'append', id, NO_QUERY);
    const key = idempotencyKey(kit.header(request, 'idempotency-key'));
    const fence = sessionFence(kit.header(request, 'session-fence'));
    const ifMatch = conditionHeader('If-Match', kit.header(request, 'if-match'));
    const ifNoneMatch = conditionHeader('If-None-Match', kit.header(request, 'if-none-match'));
    assertJsonType(kit.header(request, 'content-type'));
    const { items, ttl, replaceAfter } = appendBody(await kit.body(request, APPEND_SHAPE));
    const ifVersion = await kit.ifVersion(id, ifMatch, ifNoneMatch, true, 'appending to');
    const result = await this.#manager.append(id, items, {
      ttl: ttl as number | undefined,
      ifVersion,
      idempotencyKey: key,
      replaceAfter: replaceAfter as number | undefined,
      fence,
    });
    const { version, firstSeq, lastSeq, replayed } = result;
    return answer(replayed ? 200 : 201, version, JSON.stringify({ version, firstSeq, lastSeq, replayed }), false);
  }

  /** `DELETE {basePath}/{id}/items?after=N` or `?before=N`: removes the items after or before N. */
  async #truncate(request: R, id: string, query: string): Promise<CoreResponse> {
    const kit = this.#kit;
    const bound = itemsQuery(query, true);
    await kit.allow(request, 'truncate', id, bound);
    const fence = sessionFence(kit.header(request, 'session-fence'));
    const ifVersion = await this.#writeVersion(request, id);
    const range = bound.after === undefined ? { before: bound.before! } : { after: bound.after };
    const { removed, version } = await this.#manager.truncate(id, { ...range, ifVersion, fence });
    if (version === 0) throw missing(id);
    return answer(200, version, `{"removed":${removed},"version":${version}}`, false);
  }

  /** `DELETE {basePath}/{id}/items/last`: removes and answers the newest item. */
  async #pop(request: R, id: string): Promise<CoreResponse> {
    await this.#kit.allow(request, 'pop', id, NO_QUERY);
    const fence = sessionFence(this.#kit.header(request, 'session-fence'));
    const ifVersion = await this.#writeVersion(request, id);
    // The store answers what the manager's pop drops: the version after it (for the ETag),
    // and the item as its JSON text. The id is checked, ifVersion and fence are whole numbers.
    const core = coreOf(this.#manager);
    const result = await core.store.pop({ id, now: core.now(), ifVersion, fence });
    if (!result.ok) throw conflict(id, result.currentVersion, ifVersion);
    const { item, version } = result;
    if (item === undefined) {
      throw new HttpError('not_found', 404, `session ${quote(id)} has no item to remove${version === 0 ? ' (it does not exist)' : ''}`);
    }
    const body = `{"item":{"seq":${item.seq},"data":${item.data},"createdAt":"${timeText(item.createdAt)}"}}`;
    return answer(200, version, body, false);
  }

  /** `ifVersion` of a pop or truncate, from its condition headers. */
  async #writeVersion(request: R, id: string): Promise<number | undefined> {
    const kit = this.#kit;
    const ifMatch = conditionHeader('If-Match', kit.header(request, 'if-match'));
    const ifNoneMatch = conditionHeader('If-None-Match', kit.header(request, 'if-none-match'));
    return kit.ifVersion(id, ifMatch, ifNoneMatch, false, 'changing the items of');
  }
}

function answer(status: number, version: number, body: string, read: boolean): CoreResponse {
  const headers: Record<string, string> = { 'content-type': JSON_TYPE, etag: `"${version}"` };
  if (read) headers['cache-control'] = CACHE_CONTROL;
  return { status, headers, body, close: false };
}

function missing(id: string): HttpError {
  return new HttpError('not_found', 404, `no session ${quote(id)}`);
}
