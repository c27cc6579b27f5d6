/**
 * Two processes take turns on one ADK session through Redis: each runs ADK's Runner for one
 * turn (adk-child.ts) and sees the whole conversation so far. The child is bundled with tsup
 * into one CommonJS file, `@google/adk` left outside and found through NODE_PATH.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AdkSessionService } from '../../frameworks/adk/index.js';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionManager } from '../../src/index.js';
import { removePrefix, uniquePrefix } from '../adapters/redis-helpers.js';
import { describeEvent } from './adk-scripted.js';

const url = inject('redisUrl');
const dir = mkdtempSync(join(tmpdir(), 'agent-sessions-adk-'));
const child = join(dir, 'child.cjs');
const prefix = uniquePrefix('adk-procs');

interface Seen {
  events: string[];
  state: Record<string, unknown>;
}

function run(sessionId: string, text: string): Promise<Seen> {
  const env = { ...process.env, NODE_PATH: resolve('node_modules') };
  return new Promise((done, fail) => {
    execFile(process.execPath, [child, url!, prefix, sessionId, text], { env, timeout: 30_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) fail(new Error(`child '${text}' failed: ${err.message}\n${stderr}`));
      else done(JSON.parse(stdout) as Seen);
    });
  });
}

describe.skipIf(!url)('AdkSessionService across processes', () => {
  let client: Redis;

  beforeAll(async () => {
    client = new Redis(url!);
    await build({
      config: false,
      entry: { child: 'test/frameworks/adk-child.ts' },
      outDir: dir,
      format: ['cjs'],
      platform: 'node',
      target: 'node20',
      external: ['@google/adk'],
      noExternal: [/^(?!@google\/adk)/],
      splitting: false,
      dts: false,
      silent: true,
    });
  });

  afterAll(async () => {
    await removePrefix(client, prefix);
    await client.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two processes take turns on one session, and each sees the whole history', async () => {
    const manager = new SessionManager({ store: new RedisStore({ client, prefix }) });
    const service = new AdkSessionService(manager);
    await service.createSession({ appName: 'scripted-app', userId: 'ann', sessionId: 'shared', state: { 'user:name': 'Ann' } });
    const texts = ['hi', 'remember blue', 'how are you', 'remember green'];
    const expected: string[] = [];
    for (const [n, text] of texts.entries()) {
      const seen = await run('shared', text);
      const before = expected.length;
      expected.push(`user: ${text}`);
      if (text.startsWith('remember ')) {
        const word = text.slice('remember '.length);
        expected.push(`assistant: call remember({"value":"${word}"})`, `assistant: result remember({"value":"${word}"})`);
        expected.push(`assistant: remembered ${word} (saw ${before + 3})`);
      } else {
        expected.push(`assistant: echo ${text} (saw ${before + 1})`);
      }
      expect(seen.events, `turn ${n + 1}`).toEqual(expected);
    }
    const last = (await service.getSession({ appName: 'scripted-app', userId: 'ann', sessionId: 'shared' }))!;
    expect(last.events.map(describeEvent)).toEqual(expected);
    expect(last.state).toEqual({ last: 'green', 'user:name': 'Ann', 'user:favourite': 'green', 'app:remembered': 2 });
  });
});
