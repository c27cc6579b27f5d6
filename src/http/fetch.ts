/**
 * The fetch edge: a `(Request) => Promise<Response>` handler for Hono, Deno, Bun, Cloudflare
 * Workers and any runtime with `Request` and `Response`.
 *
 * @module
 */
import { SessionError } from '../errors.js';
import type { SessionManager } from '../manager.js';
import { SessionsCore } from './core.js';
import { bodyAborted, bodyTimedOut, bodyTooLarge } from './problem.js';
import { NOT_PARSED, type HostAdapter, type SessionsHandlerOptions } from './types.js';

/** Options of {@link createFetchHandler}; `authorize` receives the `Request`. */
export type FetchHandlerOptions = SessionsHandlerOptions<Request>;

/** A fetch handler: every request gets a response, a problem 404 outside `basePath`. */
export type FetchSessionsHandler = (request: Request) => Promise<Response>;

const EMPTY = new Uint8Array(0);

async function readBody(request: Request, limit: number, timeout: number): Promise<Uint8Array> {
  const stream = request.body;
  if (stream === null) return EMPTY;
  if (request.bodyUsed) throw new Error('the request body was already read before the sessions handler');
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => {});
  }, timeout);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (timedOut) throw bodyTimedOut(timeout);
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        reader.cancel().catch(() => {});
        throw bodyTooLarge(limit);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof SessionError) throw err;
    throw timedOut ? bodyTimedOut(timeout) : bodyAborted();
  } finally {
    clearTimeout(timer);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

const fetchHost: HostAdapter<Request> = {
  header: (request, name) => request.headers.get(name) ?? undefined,
  parsedBody: () => NOT_PARSED,
  readBody,
};

/**
 * Creates the `/sessions` handler for fetch runtimes: `(request) => Promise<Response>` serving
 * `GET {basePath}`; `GET`, `HEAD`, `PUT`, `DELETE {basePath}/{identifier}`; `GET`, `HEAD`,
 * `POST`, `DELETE {basePath}/{identifier}/items` and `DELETE {basePath}/{identifier}/items/last`
 * over `manager`.
 * The path of `request.url` is matched against `basePath`; anything else gets a 404 problem.
 * `authorize` receives the `Request`.
 *
 * @param manager - the sessions to serve
 * @param options - base path, body limits, `authorize` and `onError`
 * @returns a fetch handler
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { SessionManager } from 'agent-sessions';
 * import { createFetchHandler } from 'agent-sessions/http';
 *
 * const sessions = createFetchHandler(new SessionManager());
 * const app = new Hono();
 * app.all('/sessions', (c) => sessions(c.req.raw));
 * app.all('/sessions/*', (c) => sessions(c.req.raw));
 * export default app;
 * ```
 */
export function createFetchHandler(
  manager: SessionManager<unknown>,
  options: FetchHandlerOptions = {},
): FetchSessionsHandler {
  const core = new SessionsCore<Request>(manager, options, fetchHost);
  return async function fetchSessions(request) {
    const url = request.url;
    const scheme = url.indexOf('://');
    const start = scheme < 0 ? -1 : url.indexOf('/', scheme + 3);
    let target = start < 0 ? '/' : url.slice(start);
    const hash = target.indexOf('#');
    if (hash >= 0) target = target.slice(0, hash);
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const tail = core.match(path);
    const response =
      tail === undefined
        ? core.notFound()
        : await core.handle(request, request.method, tail, q < 0 ? '' : target.slice(q + 1), path);
    return new Response(response.body ?? null, { status: response.status, headers: response.headers });
  };
}
