/**
 * `npm start` as a user runs it: scripts/start.mjs as a child process on a free port (PORT=0),
 * used over HTTP, then stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { json, rawRequest, send } from './client.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Started {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
}

/** Children still running; a case that fails before its own stop leaves one, ended after it. */
const running = new Set<ChildProcess>();

afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** Starts the script and waits for its one line with the URL. */
function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /serving (http:\/\/127\.0\.0\.1:\d+)\/sessions/.exec(out);
      if (match) resolve({ child, url: match[1]!, stdout: () => out, stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`start.mjs exited ${code} before listening:\n${out}\n${err}`)));
  });
}

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}

async function useIt(url: string): Promise<void> {
  // A fresh id per use: the Redis case runs on a shared server, under the default key prefix.
  const id = `user-42:thread-${randomUUID()}`;
  const put = await send(url, 'PUT', `/sessions/${id}`, json({ data: { messages: ['hi'] } }));
  expect(put.status).toBe(200);
  expect(put.body.session.version).toBe(1);
  const got = await send(url, 'GET', `/sessions/${id}`);
  expect(got.body.session.data).toEqual({ messages: ['hi'] });
  const list = await send(url, 'GET', `/sessions?prefix=${id}`);
  expect(list.body.sessions.map((s: { id: string }) => s.id)).toContain(id);
  expect((await send(url, 'DELETE', `/sessions/${id}`)).status).toBe(200);
}

describe('npm start (scripts/start.mjs)', () => {
  it('serves the API over the memory store, logs one line with the URL, and exits 0 on SIGTERM', async () => {
    const s = await start({ SESSION_STORE: '' });
    expect(s.stdout().trim().split('\n')).toEqual([`agent-sessions: serving ${s.url}/sessions over the memory store`]);
    await useIt(s.url);
    expect(await stop(s.child, 'SIGTERM')).toBe(0);
  }, 60_000);

  it('answers a request Node refuses with a problem, and cuts a trickle of headers with a 408 problem', async () => {
    const s = await start({ SESSION_STORE: '' });
    try {
      const bad = await rawRequest(s.url, ['GET /sessions/a b HTTP/1.1\r\nHost: x\r\n\r\n']);
      expect(bad.status).toBe(400);
      expect(bad.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(bad.text)).toMatchObject({ status: 400, code: 'malformed_request' });
      // One header line a second, for as long as it takes: the server's 10 s headersTimeout ends it.
      const lines = ['GET /sessions HTTP/1.1\r\n', ...Array.from({ length: 60 }, (_, i) => `X-${i}: y\r\n`)];
      const slow = await rawRequest(s.url, lines, 1_000);
      expect(slow.status).toBe(408);
      expect(JSON.parse(slow.text)).toMatchObject({ status: 408, code: 'request_timeout' });
      expect(slow.closed).toBe(true);
    } finally {
      expect(await stop(s.child, 'SIGTERM')).toBe(0);
    }
  }, 60_000);

  it('SESSION_STORE=lru serves over LruStore and exits 0 on SIGINT', async () => {
    const s = await start({ SESSION_STORE: 'lru' });
    expect(s.stdout()).toContain('over the LRU store');
    await useIt(s.url);
    expect(await stop(s.child, 'SIGINT')).toBe(0);
  }, 60_000);

  const redisUrl = inject('redisUrl');
  it.runIf(redisUrl !== null)('SESSION_STORE=redis://… serves over RedisStore and exits 0 on SIGTERM', async () => {
    const s = await start({ SESSION_STORE: redisUrl! });
    expect(s.stdout()).toContain('over the Redis store at redis://');
    await useIt(s.url);
    expect(await stop(s.child, 'SIGTERM')).toBe(0);
  }, 60_000);

  it('refuses an unknown SESSION_STORE with exit code 1 and a message', async () => {
    await expect(start({ SESSION_STORE: 'mongo' })).rejects.toThrow(/exited 1[\s\S]*SESSION_STORE must be memory, lru or a redis:\/\/ URL/);
  }, 60_000);
});
