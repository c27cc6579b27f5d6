/**
 * Two processes take turns on one ADK session through Redis: each runs ADK's Runner for its
 * turn (adk-child.ts) and sees the whole conversation so far, the other's turns included. The child is bundled with tsup
 * into one CommonJS file, `@google/adk` left outside and found through NODE_PATH.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
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
const started: ChildProcess[] = [];

interface Seen {
  events: string[];
  state: Record<string, unknown>;
}

/** A child process running turns: `send` a message, get the session as it then reads it. */
function start(sessionId: string) {
  const env = { ...process.env, NODE_PATH: resolve('node_modules') };
  const proc = spawn(process.execPath, [child, url!, prefix, sessionId], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  started.push(proc);
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  return {
    async send(text: string): Promise<Seen> {
      proc.stdin.write(`${text}\n`);
      const line = await lines.next();
      if (line.done) throw new Error(`child ended before answering '${text}': ${stderr}`);
      return JSON.parse(line.value) as Seen;
    },
    end(): Promise<number | null> {
      proc.stdin.end();
      return new Promise((done) => proc.once('exit', done));
    },
  };
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
    for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await removePrefix(client, prefix);
    await client.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two processes take turns on one session, and each sees the whole history', async () => {
    const manager = new SessionManager({ store: new RedisStore({ client, prefix }) });
    const service = new AdkSessionService(manager);
    await service.createSession({ appName: 'scripted-app', userId: 'ann', sessionId: 'shared', state: { 'user:name': 'Ann' } });
    const processes = [start('shared'), start('shared')];
    const texts = ['hi', 'remember blue', 'how are you', 'remember green', 'bye'];
    const expected: string[] = [];
    for (const [n, text] of texts.entries()) {
      const seen = await processes[n % 2]!.send(text);
      const before = expected.length;
      expected.push(`user: ${text}`);
      if (text.startsWith('remember ')) {
        const word = text.slice('remember '.length);
        expected.push(`assistant: call remember({"value":"${word}"})`, `assistant: result remember({"value":"${word}"})`);
        expected.push(`assistant: remembered ${word} (saw ${before + 3})`);
      } else {
        expected.push(`assistant: echo ${text} (saw ${before + 1})`);
      }
      expect(seen.events, `turn ${n + 1}, process ${n % 2}`).toEqual(expected);
    }
    expect(await Promise.all(processes.map((p) => p.end()))).toEqual([0, 0]);
    const last = (await service.getSession({ appName: 'scripted-app', userId: 'ann', sessionId: 'shared' }))!;
    expect(last.events.map(describeEvent)).toEqual(expected);
    expect(last.state).toEqual({ last: 'green', 'user:name': 'Ann', 'user:favourite': 'green', 'app:remembered': 2 });
  });
});
