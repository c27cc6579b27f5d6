import { createServer } from 'node:http';
import express from 'express';
import { createSessionsHandler } from '../../src/http/index.js';
import { describeHttpHost, listen } from './cases.js';
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
