import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSessionsHandler } from '../../src/http/index.js';
import { describeHttpHost, type RunningHost } from './cases.js';
import { fixtureManager, fixtureOptions } from './fixture.js';

/** A node:http server on a free loopback port. */
export async function listen(server: ReturnType<typeof createServer>): Promise<RunningHost> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describeHttpHost('node:http', async () => {
  const manager = fixtureManager();
  // As in docs/http.md:
  const handler = createSessionsHandler(manager, fixtureOptions((req: IncomingMessage, name) => req.headers[name] as string | undefined));
  return listen(createServer(handler));
});
