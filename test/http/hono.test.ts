import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createFetchHandler } from '../../src/http/index.js';
import { describeHttpHost, type RunningHost } from './cases.js';
import { fixtureManager, fixtureOptions } from './fixture.js';

describeHttpHost(
  'Hono through @hono/node-server (fetch edge)',
  async () => {
    const sessions = createFetchHandler(fixtureManager(), fixtureOptions((req: Request, name) => req.headers.get(name)));
    // As in docs/http.md:
    const app = new Hono();
    app.all('/sessions', (c) => sessions(c.req.raw));
    app.all('/sessions/*', (c) => sessions(c.req.raw));
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const { port } = server.address() as AddressInfo;
    const host: RunningHost = {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve) => {
          if ('closeAllConnections' in server) server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
    return host;
  },
  { hostOutside: true, fetchEdge: true },
);
