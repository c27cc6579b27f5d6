/**
 * agent-sessions/http: serve a `SessionManager` as `/sessions` over HTTP, from
 * `node:http`, Express, Connect, Fastify ({@link createSessionsHandler}) or any fetch runtime
 * such as Hono ({@link createFetchHandler}). Routes, status codes and mounting: docs/http.md.
 *
 * @module
 */
export { createSessionsHandler } from './node.js';
export type { NodeHandlerOptions, NodeSessionsHandler } from './node.js';
export { createFetchHandler } from './fetch.js';
export { answerClientError } from './client-error.js';
export type { ClientError } from './client-error.js';
export type { FetchHandlerOptions, FetchSessionsHandler } from './fetch.js';
export type { SessionAction, SessionsHandlerOptions } from './types.js';
export type { SessionsQuery } from './parse.js';
