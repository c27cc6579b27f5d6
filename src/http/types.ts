/**
 * The shapes shared by the HTTP core and its edges: the handler options, the response an
 * edge sends, and how the core reaches into a host's request.
 *
 * @module
 */
import type { SessionError } from '../errors.js';
import type { SessionsQuery } from './parse.js';

/**
 * What a request asks to do; `authorize` receives it. HEAD counts as the matching GET.
 * `items` reads a session's log, `append` adds to it, `pop` removes its newest item and
 * `truncate` the items after or before a seq; `lease` takes, renews or releases its lease.
 */
export type SessionAction = 'list' | 'get' | 'put' | 'clear' | 'items' | 'append' | 'pop' | 'truncate' | 'lease';

/**
 * Options of both HTTP handlers.
 *
 * @typeParam R - what `authorize` receives: the Node `IncomingMessage` (or Express request)
 *   for {@link createSessionsHandler}, the `Request` for {@link createFetchHandler}
 */
export interface SessionsHandlerOptions<R> {
  /**
   * The path the routes live under: `GET {basePath}`, `GET|PUT|DELETE {basePath}/{identifier}`,
   * `GET|POST|DELETE {basePath}/{identifier}/items`, `DELETE {basePath}/{identifier}/items/last`,
   * `POST|PUT|DELETE {basePath}/{identifier}/lease`.
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
   * Decides whether a request may do `action` (on session `id`, `undefined` for `list`). Runs
   * after the route, method, identifier and query are checked, and before the body is read
   * or any store is called. Only `true` allows; anything else answers 403. A thrown
   * {@link SessionError} answers with its status; any other throw answers 500.
   *
   * `request` is the host's own request object: the `IncomingMessage` passed to the Node
   * handler (an Express `Request` in Express, `request.raw` in Fastify), or the fetch
   * `Request`. `query` holds the query values the action will run with, parsed and frozen:
   * `{ prefix, cursor, limit, fields }` for `list`, `{ after, before, limit, order }` for
   * `items`, `{ after }` or `{ before }` for `truncate`, `{}` for the others. Check these rather
   * than reading the URL yourself, so that what you allow is what runs.
   * @defaultValue none: every request is allowed
   */
  authorize?(request: R, action: SessionAction, id: string | undefined, query: SessionsQuery): boolean | Promise<boolean>;
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

