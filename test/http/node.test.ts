import { createServer, type IncomingMessage } from 'node:http';
import { createSessionsHandler } from '../../src/http/index.js';
import { describeHttpHost, listen } from './cases.js';
import { fixtureManager, fixtureOptions } from './fixture.js';

describeHttpHost('node:http', async () => {
  const manager = fixtureManager();
  // As in docs/http.md:
  const handler = createSessionsHandler(manager, fixtureOptions((req: IncomingMessage, name) => req.headers[name] as string | undefined));
  return listen(createServer(handler));
});
