/**
 * agent-sessions/fastify: a Fastify 5 plugin serving a `SessionManager` as `/sessions`. Its
 * routes are ordinary Fastify routes, so `onRequest` hooks (auth), the logger and `onSend` run
 * as for any other route; the answers are those of the other hosts (docs/http.md).
 *
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { SessionManager } from '../manager.js';
import { SessionsCore } from './core.js';
import { readBody } from './node.js';
import { PROBLEM_TYPE, problemOf } from './problem.js';
import type { SessionsQuery } from './parse.js';
import { NOT_PARSED, type CoreResponse, type HostAdapter, type SessionAction, type SessionsHandlerOptions } from './types.js';

/** Options of {@link sessionsPlugin}; `authorize` receives the `FastifyRequest`. */
export interface SessionsPluginOptions extends Omit<SessionsHandlerOptions<FastifyRequest>, 'basePath' | 'authorize' | 'onError'> {
  /** The sessions to serve. */
  manager: SessionManager<unknown>;
  /**
   * Where the routes live, under the prefix of the scope the plugin is registered in.
   *
   * @defaultValue `'/sessions'`
   */
  prefix?: string;
  /**
   * `true` keeps Fastify's content-type parsers (its JSON parser, `bodyLimit` and their own
   * error answers) for the plugin's routes, and the routes use the body Fastify parsed. By
   * default the routes read the body themselves, with `maxBodyBytes`, `bodyTimeout` and
   * problem answers as on every other host.
   *
   * @defaultValue `false`
   */
  useFastifyParser?: boolean;
  /**
   * Decides whether a request may run, as on the other hosts (docs/http.md); it receives the
   * `FastifyRequest`, with whatever `onRequest` hooks put on it.
   *
   * @defaultValue none: every request is allowed
   */
  authorize?(request: FastifyRequest, action: SessionAction, id: string | undefined, query: SessionsQuery): boolean | Promise<boolean>;
  /**
   * Called with every error that answers 5xx, for logging.
   *
   * @defaultValue the Fastify logger, at `error`
   */
  onError?(error: unknown): void;
}

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'];

const fastifyHost: HostAdapter<FastifyRequest> = {
  header(request, name) {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  },
  parsedBody: (request) => (request.body !== undefined ? request.body : NOT_PARSED),
  readBody: (request, limit, timeout) => readBody(request.raw, limit, timeout),
};

function hasBody(request: FastifyRequest): boolean {
  const { headers } = request;
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] ?? '0') !== '0';
}

function send(request: FastifyRequest, reply: FastifyReply, response: CoreResponse): FastifyReply {
  const { headers, body } = response;
  // Close rather than drain a request body that was refused half-read, or left unread.
  if (response.close || (!request.raw.complete && hasBody(request))) headers.connection = 'close';
  // A Buffer keeps the Content-Type as set: Fastify appends `; charset=utf-8` to JSON strings.
  return reply.code(response.status).headers(headers).send(body === undefined ? undefined : Buffer.from(body));
}

async function sessionsRoutes(app: FastifyInstance, options: SessionsPluginOptions): Promise<void> {
  const { manager, prefix = '/sessions', useFastifyParser = false, ...handlerOptions } = options;
  const basePath = app.prefix + (prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  const core = new SessionsCore<FastifyRequest>(manager, {
    onError: (error) => app.log.error({ err: error }, 'agent-sessions: request failed'),
    ...handlerOptions,
    basePath,
  }, fastifyHost);
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const target = request.url;
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const tail = core.match(path);
    let response: CoreResponse;
    try {
      response =
        tail === undefined
          ? core.notFound()
          : await core.handle(request, request.method, tail, q < 0 ? '' : target.slice(q + 1), path);
    } catch (err) {
      const { status, body } = problemOf(err);
      response = { status, headers: { 'content-type': PROBLEM_TYPE }, body, close: false };
    }
    return send(request, reply, response);
  };
  // A scope of its own, so that the parser below stays off the application's other routes.
  await app.register(async (scope) => {
    if (!useFastifyParser) {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    }
    const url = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    scope.route({ method: METHODS, url: url === '' ? '/' : url, handler });
    scope.route({ method: METHODS, url: `${url}/*`, handler });
  });
}

/**
 * The Fastify plugin: registers `prefix` and `prefix/*` routes answering `GET {prefix}`;
 * `GET`, `HEAD`, `PUT`, `DELETE {prefix}/{identifier}`; the item and lease routes of
 * docs/http.md, over `manager`. Made with `fastify-plugin`, so the hooks and logger of the
 * scope it is registered in apply to its routes; it applies `prefix` itself. Errors that
 * answer 5xx go to `onError`, by default the Fastify logger.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { SessionManager } from 'agent-sessions';
 * import { sessionsPlugin } from 'agent-sessions/fastify';
 *
 * const app = Fastify({ logger: true });
 * app.addHook('onRequest', async (request, reply) => {
 *   if (request.headers.authorization !== `Bearer ${process.env.TOKEN}`) return reply.code(401).send();
 * });
 * await app.register(sessionsPlugin, { manager: new SessionManager(), prefix: '/sessions' });
 * await app.listen({ port: 3000 });
 * ```
 */
export const sessionsPlugin = fp(sessionsRoutes, { fastify: '5.x', name: 'agent-sessions' });

export default sessionsPlugin;
