/**
 * Several processes sharing one Redis. The child (redis-child.ts) is bundled once with tsup
 * into a single CommonJS file in a temporary directory (ioredis included) and run with plain
 * `node`, so the test needs neither a build of dist/ nor a TypeScript loader.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { bundleChild } from '../helpers/bundle-child.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager } from '../../src/index.js';
import { freePort } from '../helpers/redis-server.js';
import { checkLog, removePrefix, uniquePrefix } from './redis-helpers.js';

const url = inject('redisUrl');
const dir = mkdtempSync(join(tmpdir(), 'agent-sessions-child-'));
const child = join(dir, 'child.cjs');
const prefix = uniquePrefix('procs');

/** Runs the child to its own end (it must exit by itself: close() leaves nothing open). */
function run(...args: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [child, ...args], { timeout: 30_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`child ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as number[]);
    });
  });
}

function strictlyIncreasing(versions: number[]): boolean {
  return versions.every((v, i) => i === 0 || v > versions[i - 1]!);
}

describe.skipIf(!url)('RedisStore across processes', () => {
  let client: Redis;

  beforeAll(async () => {
    client = new Redis(url!);
    await bundleChild('test/adapters/redis-child.ts', dir);
  });

  afterAll(async () => {
    await removePrefix(client, prefix);
    await client.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  it('8 processes × 50 updates of one counter end at exactly 400, with strictly increasing, never repeated versions', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => run('update', url!, prefix, 'counter', '50')));
    for (const versions of results) {
      expect(versions).toHaveLength(50);
      expect(strictlyIncreasing(versions)).toBe(true);
    }
    const all = results.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    const sessions = new SessionManager({ store: new RedisStore({ client, prefix }) });
    expect(await sessions.get('counter')).toMatchObject({ data: 400, version: 400 });
  });

  it('8 processes × 50 appends of 3 items to one session end with exactly 1,200 items, seqs 1..1,200, each append contiguous, every item once', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => run('append', url!, prefix, 'log', '50')));
    const store = new RedisStore({ client, prefix });
    await checkLog(store, 'log', results);
    await store.close();
  });

  it('two processes putting one id without conditions never get the same version', async () => {
    const results = await Promise.all([run('put', url!, prefix, 'shared', '150'), run('put', url!, prefix, 'shared', '150')]);
    for (const versions of results) expect(strictlyIncreasing(versions)).toBe(true);
    expect(results.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('a process exits by itself after close(), with Redis up or unreachable', async () => {
    expect(await run('put', url!, prefix, 'exit', '1')).toEqual([1]);
    expect(await run('down', `redis://127.0.0.1:${await freePort()}`, prefix, 'exit')).toEqual([-1]);
  });
});
