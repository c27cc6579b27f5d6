import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sessionsPluginDefault, { sessionsPlugin } from '../../src/http/fastify.js';
import { describeHttpHost, type RunningHost } from './cases.js';
import { json, send } from './client.js';
import { FAIL_500, fixtureManager, fixtureOptions, uid } from './fixture.js';

const options = () => fixtureOptions((request: FastifyRequest, name: string) => request.headers[name] as string | undefined);

async function listen(app: FastifyInstance): Promise<RunningHost> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

describeHttpHost('Fastify 5, sessionsPlugin reading the body', async () => {
  const app = Fastify();
  await app.register(sessionsPlugin, { manager: fixtureManager(), prefix: '/sessions', ...options() });
  return listen(app);
}, { hostOutside: true, hostBadUrl: true });

describeHttpHost(
  "Fastify 5, sessionsPlugin behind Fastify's JSON parser",
  async () => {
    const app = Fastify();
    await app.register(sessionsPlugin, { manager: fixtureManager(), prefix: '/sessions', useFastifyParser: true, ...options() });
    return listen(app);
  },
  { parsesBody: true, hostOutside: true, hostBadUrl: true },
);

describe("sessionsPlugin keeps Fastify's lifecycle", () => {
  let host: RunningHost;
  const lines: Array<Record<string, unknown>> = [];
  const hooks: string[] = [];

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    });
    const app = Fastify({ logger: { level: 'info', stream } });
    app.addHook('onRequest', async (request, reply) => {
      hooks.push(`onRequest ${request.method} ${request.url}`);
      if (request.headers.authorization !== 'Bearer good') return reply.code(401).send({ refused: true });
    });
    app.addHook('onSend', async (request, reply, payload) => {
      hooks.push(`onSend ${request.method} ${request.url}`);
      reply.header('x-seen-by', 'onSend');
      return payload;
    });
    await app.register(sessionsPluginDefault, { manager: fixtureManager(), prefix: '/api/sessions' });
    host = await listen(app);
  });
  afterAll(() => host.close());

  it('is the default export too', () => {
    expect(sessionsPluginDefault).toBe(sessionsPlugin);
  });

  it('an onRequest hook refuses before the route runs, and lets the request through', async () => {
    const id = uid('hook');
    const refused = await send(host.url, 'PUT', `/api/sessions/${id}`, { ...json({ data: { a: 1 } }), hostAnswer: true });
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ refused: true });
    const missing = await send(host.url, 'GET', `/api/sessions/${id}`, { headers: { authorization: 'Bearer good' }, hostAnswer: true });
    expect(missing.status).toBe(404);
    const put = await send(host.url, 'PUT', `/api/sessions/${id}`, { ...json({ data: { a: 1 } }, { authorization: 'Bearer good' }), hostAnswer: true });
    expect(put.status, put.text).toBe(200);
    expect(put.headers['x-seen-by']).toBe('onSend');
    expect(put.headers['content-location']).toBe(`/api/sessions/${id}`);
    expect(put.body.session).toMatchObject({ id, data: { a: 1 }, version: 1 });
    expect(hooks).toContain(`onRequest PUT /api/sessions/${id}`);
    expect(hooks).toContain(`onSend PUT /api/sessions/${id}`);
  });

  it("Fastify's logger sees the requests and their answers", async () => {
    const id = uid('log');
    const r = await send(host.url, 'GET', `/api/sessions/${id}`, { headers: { authorization: 'Bearer good' }, hostAnswer: true });
    expect(r.status).toBe(404);
    const incoming = lines.find((l) => l.msg === 'incoming request' && (l.req as { url?: string }).url === `/api/sessions/${id}`);
    expect(incoming).toBeDefined();
    const done = lines.find((l) => l.msg === 'request completed' && l.reqId === incoming!.reqId);
    expect((done!.res as { statusCode: number }).statusCode).toBe(404);
  });

  it('reports a 5xx cause to the Fastify logger, not to the client', async () => {
    const id = uid(FAIL_500);
    const r = await send(host.url, 'GET', `/api/sessions/${id}`, { headers: { authorization: 'Bearer good' }, hostAnswer: true });
    expect(r.status).toBe(500);
    expect(r.text).not.toContain('hunter2');
    const logged = lines.find((l) => l.msg === 'agent-sessions: request failed' && String((l.err as { message?: string }).message).includes('hunter2'));
    expect(logged?.level).toBe(50);
  });
});
