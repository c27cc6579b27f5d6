#!/usr/bin/env node
/**
 * `npm start`: serves the /sessions HTTP API of agent-sessions.
 *
 *   PORT           port to listen on (default 3000; 0 picks a free one)
 *   HOST           interface to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
 *   SESSION_STORE  memory (default) | lru | redis://[user:pass@]host:port[/db] | rediss://…
 *
 * Builds dist/ first when it is missing or older than the sources. Logs one line with the
 * URL. A request must bring its headers within BODY_TIMEOUT and its body within as long
 * again; requests Node's parser refuses get a problem body (answerClientError). SIGTERM or SIGINT stops accepting connections, lets requests in flight finish (5 s at
 * most), closes the store and exits 0; a second signal exits 1 at once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  console.error(`agent-sessions: ${message}`);
  process.exit(1);
}

/** The newest modification time (ms) of a file, or of any file under a directory. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let time = 0;
  for (const entry of readdirSync(path)) time = Math.max(time, newest(join(path, entry)));
  return time;
}

/** Runs the build (tsup) when an entry of dist/ is missing or older than a source. */
function ensureBuilt() {
  const outputs = ['index.js', 'lru.js', 'redis.js', 'http.js'].map((f) => join(root, 'dist', f));
  const built = outputs.every((f) => existsSync(f)) ? Math.min(...outputs.map((f) => statSync(f).mtimeMs)) : 0;
  const sources = Math.max(newest(join(root, 'src')), newest(join(root, 'adapters')), newest(join(root, 'tsup.config.ts')));
  if (built >= sources) return;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    fail(`the build failed (npm run build exited ${result.status ?? result.signal ?? result.error?.message})`);
  }
}

/** Hides a password in a store URL before it is logged. */
function redact(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}

async function openStore(spec) {
  const value = (spec ?? '').trim();
  if (value === '' || value === 'memory') {
    const { MemoryStore } = await import('agent-sessions');
    return { store: new MemoryStore(), label: 'memory store' };
  }
  if (value === 'lru') {
    const { LruStore } = await import('agent-sessions/lru');
    return { store: new LruStore(), label: 'LRU store' };
  }
  if (/^rediss?:\/\//i.test(value)) {
    const { RedisStore } = await import('agent-sessions/redis');
    return { store: new RedisStore({ url: value }), label: `Redis store at ${redact(value)}` };
  }
  return fail(`SESSION_STORE must be memory, lru or a redis:// URL; got ${JSON.stringify(value)}`);
}

function port(value) {
  if (value === undefined || value === '') return 3000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`PORT must be a whole number from 0 to 65535; got ${JSON.stringify(value)}`);
  return n;
}

ensureBuilt();
const { SessionManager } = await import('agent-sessions');
const { answerClientError, createSessionsHandler } = await import('agent-sessions/http');
const { store, label } = await openStore(process.env.SESSION_STORE);
const manager = new SessionManager({ store });
/** The handler's bodyTimeout (its default), which Node's own request deadlines follow. */
const BODY_TIMEOUT = 10_000;
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
const host = process.env.HOST || '127.0.0.1';

server.on('error', (err) => fail(`cannot listen on ${host}:${process.env.PORT ?? 3000}: ${err.message}`));
server.listen(port(process.env.PORT), host, () => {
  const address = server.address();
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  console.log(`agent-sessions: serving http://${shown}:${address.port}/sessions over the ${label}`);
  store.ping().then((ok) => {
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
