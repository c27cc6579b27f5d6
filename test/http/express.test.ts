import { createServer } from 'node:http';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { createSessionsHandler } from '../../src/http/index.js';
import { describeHttpHost, listen } from './cases.js';
import { json, send } from './client.js';
import { fixtureManager, fixtureOptions } from './fixture.js';

const options = () => fixtureOptions((req: express.Request, name: string) => req.get(name));

describeHttpHost(
  'Express 5, app.use(handler)',
  async () => {
    const app = express();
    app.use(createSessionsHandler(fixtureManager(), options()));
    return listen(createServer(app));
  },
  { hostOutside: true },
);

describeHttpHost(
  "Express 5, app.use('/sessions', handler)",
  async () => {
    const app = express();
    app.use('/sessions', createSessionsHandler(fixtureManager(), options()));
    return listen(createServer(app));
  },
  { hostOutside: true },
);

describeHttpHost(
  'Express 5 behind express.json()',
  async () => {
    const app = express();
    app.use(express.json());
    app.use(createSessionsHandler(fixtureManager(), options()));
    return listen(createServer(app));
  },
  { hostOutside: true, parsesBody: true },
);

describe("Express 5, app.use('/api', handler) serving /api/sessions", () => {
  it('matches what is left of req.url and answers with the public path', async () => {
    const app = express();
    app.use('/api', createSessionsHandler(fixtureManager(), options()));
    const host = await listen(createServer(app));
    try {
      const r = await send(host.url, 'PUT', '/api/sessions/x1', { ...json({ data: 1 }), hostAnswer: true });
      expect(r.status).toBe(200);
      expect(r.headers['content-location']).toBe('/api/sessions/x1');
      const got = await send(host.url, 'GET', '/api/sessions/x1', { hostAnswer: true });
      expect(got.body.session.data).toBe(1);
      expect((await send(host.url, 'GET', '/api/other', { hostAnswer: true })).status).toBe(404);
    } finally {
      await host.close();
    }
  });
});
