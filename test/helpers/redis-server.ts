import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether a `redis-server` binary is on the PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A free TCP port on 127.0.0.1 (free when asked; a race is possible but rare). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something answers a Redis PING on `port`, or rejects after `timeout` ms. */
export async function waitForRedis(port: number, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A `redis-server` child process that a test started, on its own port and directory. */
export interface SpawnedRedis {
  port: number;
  url: string;
  dir: string;
  process: ChildProcess;
  /** Sends a signal to the server process (by PID). */
  signal(sig: NodeJS.Signals): void;
  /** Stops the server (SIGKILL unless told) and waits for it to exit. */
  stop(sig?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port and directory, with the same arguments. */
  restart(): Promise<SpawnedRedis>;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

/**
 * Starts `redis-server` on a free port (or `port`) in a fresh temporary directory.
 * `args` are extra server arguments, such as `['--appendonly', 'yes']`.
 */
export async function spawnRedis(args: string[] = [], options: { port?: number; dir?: string } = {}): Promise<SpawnedRedis> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'agent-sessions-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForRedis(port);
  } catch (err) {
    child.kill('SIGKILL'); // by PID: never leave a server that did not come up
    throw err;
  }
  const stop = async (sig: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill(sig);
    }
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    process: child,
    signal: (sig) => child.kill(sig),
    stop,
    restart: () => spawnRedis(args, { port, dir }),
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
