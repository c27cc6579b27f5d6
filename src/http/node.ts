/**
 * The Node edge: a `(req, res, next?)` handler for `node:http`, Express, Connect and Fastify.
 * It reads `IncomingMessage` and writes `ServerResponse` directly, with no fetch objects.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionManager } from '../manager.js';
import { SessionsCore } from './core.js';
import { PROBLEM_TYPE, bodyAborted, bodyTimedOut, bodyTooLarge, problemOf } from './problem.js';
import { NOT_PARSED, type CoreResponse, type HostAdapter, type SessionsHandlerOptions } from './types.js';

/** Options of {@link createSessionsHandler}; `authorize` receives the `IncomingMessage`. */
export type NodeHandlerOptions = SessionsHandlerOptions<IncomingMessage>;

/**
 * A Node request handler and Connect/Express middleware. Requests outside `basePath` go to
 * `next()` when it is given, else get a 404.
 */
export type NodeSessionsHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** What Express and Connect add to the request, and what body parsers leave on it. */
interface HostRequest extends IncomingMessage {
  originalUrl?: string;
  body?: unknown;
}

const EMPTY = new Uint8Array(0);
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * The request target in origin form (`/path?query`). An absolute-form target
 * (`http://host/sessions/x`, RFC 9112 §3.2.2, which Node passes through as it came) loses
 * its scheme and authority.
 */
function originForm(target: string): string {
  if (target.charCodeAt(0) === 47) return target;
  const authority = ABSOLUTE_FORM.exec(target);
  if (authority === null) return target;
  const rest = target.slice(authority[0].length);
  return rest.charCodeAt(0) === 47 ? rest : `/${rest}`;
}

/** Reads `req`'s body stream within `limit` bytes (413) and `timeout` ms (408); the Fastify plugin reads with it too. */
export function readBody(req: IncomingMessage, limit: number, timeout: number): Promise<Uint8Array> {
  // Someone else consumed the stream without leaving a parsed body: there is nothing to read.
  if (req.readableEnded) return Promise.resolve(EMPTY);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
      if (error === undefined) {
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      } else {
        // Stop reading: the edge answers and closes the connection instead of draining it.
        req.pause();
        reject(error);
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) finish(bodyTooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish();
    const onAbort = (): void => finish(bodyAborted());
    const timer = setTimeout(() => finish(bodyTimedOut(timeout)), timeout);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onAbort);
  });
}

const nodeHost: HostAdapter<IncomingMessage> = {
  header(req, name) {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  },
  parsedBody(req) {
    // A body parser (express.json(), …) has read the stream and left the value on `req.body`.
    const { body } = req as HostRequest;
    return body !== undefined && req.readableEnded ? body : NOT_PARSED;
  },
  readBody,
};

function hasBody(req: IncomingMessage): boolean {
  const { headers } = req;
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] ?? '0') !== '0';
}

function send(req: IncomingMessage, res: ServerResponse, response: CoreResponse): void {
  if (res.headersSent || res.writableEnded) return;
  const { headers, body } = response;
  // Close rather than drain a request body that was refused half-read, or left unread while
  // more of it is still to come.
  if (response.close || (!req.complete && hasBody(req))) headers.connection = 'close';
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(response.status, headers);
  res.end(body);
}

async function serve(
  core: SessionsCore<IncomingMessage>,
  req: IncomingMessage,
  res: ServerResponse,
  tail: string,
  query: string,
  publicPath: string,
): Promise<void> {
  let response: CoreResponse;
  try {
    response = await core.handle(req, req.method ?? 'GET', tail, query, publicPath);
  } catch (err) {
    const { status, body } = problemOf(err);
    response = { status, headers: { 'content-type': PROBLEM_TYPE }, body, close: false };
  }
  send(req, res, response);
}

/**
 * Creates the `/sessions` handler for Node: a `(req, res, next?)` function that serves
 * `GET {basePath}`; `GET`, `HEAD`, `PUT`, `DELETE {basePath}/{identifier}`; `GET`, `HEAD`,
 * `POST`, `DELETE {basePath}/{identifier}/items` and `DELETE {basePath}/{identifier}/items/last`
 * over `manager`.
 *
 * The path is matched against `req.originalUrl` (kept by Express and Connect) and then
 * `req.url`, so the handler works at the root (`app.use(handler)`), mounted at its own path
 * (`app.use('/sessions', handler)`), or under a prefix (`app.use('/api', handler)`). A body
 * already parsed by the host (`express.json()`, Fastify) is taken from `req.body`; otherwise
 * the handler reads the stream itself, within `maxBodyBytes` and `bodyTimeout`.
 * `authorize` receives `req` as passed in.
 *
 * @param manager - the sessions to serve
 * @param options - base path, body limits, `authorize` and `onError`
 * @returns a handler for `http.createServer`, `app.use`, or a Fastify route
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { SessionManager } from 'agent-sessions';
 * import { createSessionsHandler } from 'agent-sessions/http';
 *
 * const sessions = createSessionsHandler(new SessionManager(), {
 *   authorize: (req) => req.headers.authorization === `Bearer ${process.env.TOKEN}`,
 * });
 * createServer(sessions).listen(3000);
 * ```
 */
export function createSessionsHandler(
  manager: SessionManager<unknown>,
  options: NodeHandlerOptions = {},
): NodeSessionsHandler {
  const core = new SessionsCore<IncomingMessage>(manager, options, nodeHost);
  return function sessionsHandler(req, res, next) {
    const url = originForm(req.url ?? '/');
    const original = (req as HostRequest).originalUrl;
    const target = typeof original === 'string' ? originForm(original) : url;
    let q = target.indexOf('?');
    const publicPath = q < 0 ? target : target.slice(0, q);
    let query = q < 0 ? '' : target.slice(q + 1);
    let tail = core.match(publicPath);
    if (tail === undefined && target !== url) {
      // Mounted under a prefix that Express stripped from req.url: match what is left.
      q = url.indexOf('?');
      tail = core.match(q < 0 ? url : url.slice(0, q));
      query = q < 0 ? '' : url.slice(q + 1);
    }
    if (tail === undefined) {
      if (next !== undefined) next();
      else send(req, res, core.notFound());
      return;
    }
    void serve(core, req, res, tail, query, publicPath);
  };
}
