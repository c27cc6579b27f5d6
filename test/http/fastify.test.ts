import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { createSessionsHandler } from '../../src/http/index.js';
import { describeHttpHost, type RunningHost } from './cases.js';
import { fixtureManager, fixtureOptions } from './fixture.js';

const options = () => fixtureOptions((req: IncomingMessage, name: string) => req.headers[name] as string | undefined);

async function listen(app: FastifyInstance): Promise<RunningHost> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

describeHttpHost('Fastify 5, the handler reading the body', async () => {
  const app = Fastify();
  const sessions = createSessionsHandler(fixtureManager(), options());
  // As in docs/http.md: a scope whose parser leaves the body unread for the handler.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    scope.all('/sessions', (request, reply) => {
      reply.hijack();
      sessions(request.raw, reply.raw);
    });
    scope.all('/sessions/*', (request, reply) => {
      reply.hijack();
      sessions(request.raw, reply.raw);
    });
  });
  return listen(app);
}, { hostOutside: true, hostBadUrl: true });

describeHttpHost(
  "Fastify 5, behind Fastify's JSON parser",
  async () => {
    const app = Fastify();
    const sessions = createSessionsHandler(fixtureManager(), options());
    // As in docs/http.md: hand Fastify's parsed body over as req.body.
    const route = (request: { raw: IncomingMessage; body: unknown }, reply: { hijack(): void; raw: import('node:http').ServerResponse }) => {
      reply.hijack();
      sessions(Object.assign(request.raw, { body: request.body }), reply.raw);
    };
    app.all('/sessions', route);
    app.all('/sessions/*', route);
    return listen(app);
  },
  { parsesBody: true, hostOutside: true, hostBadUrl: true },
);
