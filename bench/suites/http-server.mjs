/**
 * Child process of the http suite: serves one subject on 127.0.0.1 (a free port) and prints
 * `{"port": n}` once listening. `node http-server.mjs <subject> <sessions to pre-fill>`.
 * Every subject serves GET and PUT /sessions/{id} with the same JSON bodies:
 * `{ "session": { id, data, version, createdAt, updatedAt, expiresAt } }`.
 */
import { createServer } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { entry } from '../lib/dist.mjs';
import { sessionData } from '../lib/fixture.mjs';

const [subject, fillText] = process.argv.slice(2);
const FILL = Number(fillText);
export const idOf = (i) => `user-${i % 997}:thread-${i}`;

/** The limit's store: a Map of the response bodies as JSON text, and versions. */
function jsonMap() {
  const map = new Map();
  const write = (id, data) => {
    const now = new Date().toISOString();
    const prev = map.get(id);
    const session = { id, data, version: (prev?.version ?? 0) + 1, createdAt: prev?.createdAt ?? now, updatedAt: now, expiresAt: null };
    const entry = { version: session.version, createdAt: session.createdAt, body: JSON.stringify({ session }) };
    map.set(id, entry);
    return entry;
  };
  for (let i = 0; i < FILL; i++) write(idOf(i), sessionData(i));
  return { get: (id) => map.get(id), write };
}

/** Our manager over the memory store; `ttl` (ms) as the manager's idle time to live. */
async function ourManager(ttl) {
  const { SessionManager } = await import(entry('index.js').href);
  const manager = new SessionManager({ ttl });
  for (let i = 0; i < FILL; i++) await manager.put(idOf(i), sessionData(i));
  return manager;
}

async function ourHandler(ttl) {
  const { createSessionsHandler } = await import(entry('http.js').href);
  return createSessionsHandler(await ourManager(ttl));
}

const PREFIX = '/sessions/';
const problem = (status) => JSON.stringify({ type: 'about:blank', title: 'error', status });

async function build() {
  switch (subject) {
    case 'node:http + Map': {
      const store = jsonMap();
      return createServer((req, res) => {
        const id = decodeURIComponent(req.url.slice(PREFIX.length));
        if (req.method === 'GET') {
          const entry = store.get(id);
          if (!entry) return res.writeHead(404, { 'content-type': 'application/problem+json' }).end(problem(404));
          return res.writeHead(200, { 'content-type': 'application/json', etag: `"${entry.version}"` }).end(entry.body);
        }
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          const { data } = JSON.parse(Buffer.concat(chunks).toString());
          const entry = store.write(id, data);
          res.writeHead(200, { 'content-type': 'application/json', etag: `"${entry.version}"` }).end(entry.body);
        });
      });
    }
    case 'Express route + Map': {
      const store = jsonMap();
      const app = express();
      app.get('/sessions/:id', (req, res) => {
        const entry = store.get(req.params.id);
        if (!entry) return res.status(404).type('application/problem+json').send(problem(404));
        res.set('etag', `"${entry.version}"`).type('application/json').send(entry.body);
      });
      app.put('/sessions/:id', express.json({ limit: '1mb' }), (req, res) => {
        const entry = store.write(req.params.id, req.body.data);
        res.set('etag', `"${entry.version}"`).type('application/json').send(entry.body);
      });
      return createServer(app);
    }
    case 'Fastify route + Map': {
      const store = jsonMap();
      const app = Fastify();
      app.get('/sessions/:id', (request, reply) => {
        const entry = store.get(request.params.id);
        if (!entry) return reply.code(404).type('application/problem+json').send(problem(404));
        return reply.header('etag', `"${entry.version}"`).type('application/json').send(entry.body);
      });
      app.put('/sessions/:id', (request, reply) => {
        const entry = store.write(request.params.id, request.body.data);
        return reply.header('etag', `"${entry.version}"`).type('application/json').send(entry.body);
      });
      await app.ready();
      return app.server;
    }
    case 'Express route + SessionManager': {
      const manager = await ourManager();
      const app = express();
      app.get('/sessions/:id', async (req, res) => {
        const session = await manager.get(req.params.id);
        if (!session) return res.status(404).type('application/problem+json').send(problem(404));
        res.set('etag', `"${session.version}"`).json({ session });
      });
      app.put('/sessions/:id', express.json({ limit: '1mb' }), async (req, res) => {
        const session = await manager.put(req.params.id, req.body.data);
        res.set('etag', `"${session.version}"`).json({ session });
      });
      return createServer(app);
    }
    case 'Fastify route + SessionManager': {
      const manager = await ourManager();
      const app = Fastify();
      app.get('/sessions/:id', async (request, reply) => {
        const session = await manager.get(request.params.id);
        if (!session) return reply.code(404).type('application/problem+json').send(problem(404));
        return reply.header('etag', `"${session.version}"`).send({ session });
      });
      app.put('/sessions/:id', async (request, reply) => {
        const session = await manager.put(request.params.id, request.body.data);
        return reply.header('etag', `"${session.version}"`).send({ session });
      });
      await app.ready();
      return app.server;
    }
    case 'ours on node:http':
      return createServer(await ourHandler());
    case 'ours on node:http, ttl 1 h':
      return createServer(await ourHandler(60 * 60_000));
    case 'ours in Express': {
      const app = express();
      app.use(await ourHandler());
      return createServer(app);
    }
    case 'ours in Fastify': {
      // As test/http/fastify.test.ts mounts it: a scope whose parser leaves the body for the handler.
      const sessions = await ourHandler();
      const app = Fastify();
      await app.register(async (scope) => {
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
        const route = (request, reply) => {
          reply.hijack();
          sessions(request.raw, reply.raw);
        };
        scope.all('/sessions', route);
        scope.all('/sessions/*', route);
      });
      await app.ready();
      return app.server;
    }
    case 'ours as Fastify plugin':
    case 'ours, useFastifyParser': {
      const { sessionsPlugin } = await import(entry('fastify.js').href);
      const app = Fastify();
      const useFastifyParser = subject === 'ours, useFastifyParser';
      await app.register(sessionsPlugin, { manager: await ourManager(), prefix: '/sessions', useFastifyParser });
      await app.ready();
      return app.server;
    }
    default:
      throw new Error(`unknown subject ${subject}`);
  }
}

const server = await build();
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
