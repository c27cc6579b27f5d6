/**
 * `agent-sessions serve`: the /sessions HTTP API on node:http. A request must bring its
 * headers within BODY_TIMEOUT and its body within as long again; requests Node's parser
 * refuses get a problem body (answerClientError). SIGTERM or SIGINT stops accepting
 * connections, lets requests in flight finish (5 s at most), closes the store and exits 0;
 * a second signal exits 1 at once.
 */
import { createServer } from 'node:http';

/** The handler's bodyTimeout (its default), which Node's own request deadlines follow. */
const BODY_TIMEOUT = 10_000;

/**
 * Serves `manager` on `host`:`port` and logs one line with the URL.
 * @param {{ manager: import('agent-sessions').SessionManager, label: string, port: number, host: string, fail: (message: string) => never }} options
 */
export async function serve({ manager, label, port, host, fail }) {
  const { answerClientError, createSessionsHandler } = await import('agent-sessions/http');
  const server = createServer(
    {
      // Headers get as long as a body does; the whole request, headers then body.
      headersTimeout: BODY_TIMEOUT,
      requestTimeout: 2 * BODY_TIMEOUT,
      // Node checks those deadlines at this interval (30 s by default, which let a trickle of
      // headers hold a connection for up to 90 s).
      connectionsCheckingInterval: 1_000,
    },
    createSessionsHandler(manager, { bodyTimeout: BODY_TIMEOUT }),
  );
  server.on('clientError', answerClientError);
  server.on('error', (err) => fail(`cannot listen on ${host}:${port}: ${err.message}`));
  server.listen(port, host, () => {
    const address = server.address();
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    console.log(`agent-sessions: serving http://${shown}:${address.port}/sessions over the ${label}`);
    manager.store.ping().then((ok) => {
      if (!ok) console.error(`agent-sessions: the ${label} does not answer yet; requests get 503 until it does`);
    });
  });

  let stopping = false;
  function stop(signal) {
    if (stopping) {
      console.error(`agent-sessions: ${signal} again, exiting now`);
      process.exit(1);
    }
    stopping = true;
    // Requests in flight get 5 s to finish; idle keep-alive connections close at once.
    const deadline = setTimeout(() => server.closeAllConnections(), 5_000);
    deadline.unref();
    server.close(async () => {
      try {
        await manager.close();
      } catch (err) {
        fail(`closing the store failed: ${err?.message ?? err}`);
      }
      process.exit(0);
    });
    server.closeIdleConnections();
  }
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
