/**
 * Finds the Redis the bench runs against: REDIS_URL, else 127.0.0.1:6379 if it answers,
 * else a `redis-server` spawned on a free port (stopped by PID at the end), else none.
 * Also: delete every key under a prefix with SCAN + UNLINK (never KEYS, never FLUSH*).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

async function answers(url) {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `{ url, port, label, stop() }`, or `null` when no Redis can be had. */
export async function findRedis() {
  if (process.env.REDIS_URL) {
    const url = process.env.REDIS_URL;
    return { url, port: Number(new URL(url).port || 6379), label: `REDIS_URL (${url})`, stop: async () => {} };
  }
  const local = 'redis://127.0.0.1:6379';
  if (await answers(local)) return { url: local, port: 6379, label: 'the local Redis on 127.0.0.1:6379', stop: async () => {} };
  return spawnRedis();
}

/** Whether a `redis-server` binary is on the PATH. */
export function hasRedisServer() {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A `redis-server` of the bench's own on a free port (stopped by PID), or `null` without the binary. */
export async function spawnRedis() {
  if (!hasRedisServer()) return null;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'agent-sessions-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await answers(url)); i++) await new Promise((r) => setTimeout(r, 50));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url,
    port,
    label: `a redis-server the bench started on port ${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); // by PID: ours
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Deletes every key starting with `prefix` (which must hold no glob characters). */
export async function deletePrefix(client, prefix) {
  if (/[*?[\]\\]/.test(prefix)) throw new Error(`prefix ${prefix} holds glob characters`);
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
