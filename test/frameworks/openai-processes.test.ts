/**
 * Two processes take turns on one conversation through Redis, each with its own
 * `AgentsSession` and the SDK's `run()`: the history each process's model sees is exactly
 * the whole conversation, the same as one process playing every turn on the SDK's own
 * MemorySession, whether its session object's cached history is still current (it played the
 * turn before) or not (the other process did). The child (openai-child.ts) is bundled once into a CommonJS file; both
 * children live for the whole conversation, each keeping its own session object.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MemorySession, type AgentInputItem } from '@openai/agents-core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { AgentsSession } from '../../frameworks/openai-agents/index.js';
import { SessionManager } from '../../src/index.js';
import { removePrefix, uniquePrefix } from '../adapters/redis-helpers.js';
import { bundleChild } from '../helpers/bundle-child.js';
import { playTurn } from './openai-turn.js';

const url = inject('redisUrl');
const dir = mkdtempSync(join(tmpdir(), 'agent-sessions-openai-'));
const child = join(dir, 'child.cjs');
const prefix = uniquePrefix('openai-procs');

/** A child process that plays the turns it is sent on session `id`, one at a time. */
class Player {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  readonly #exited: Promise<number | null>;
  #stderr = '';

  constructor(id: string) {
    this.#child = spawn(process.execPath, [child, url!, prefix, id]);
    this.#child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
    this.#exited = new Promise((resolve) => this.#child.on('exit', resolve));
  }

  /** Plays the turn `text`; answers the model's input on each call. */
  async turn(text: string): Promise<AgentInputItem[][]> {
    this.#child.stdin.write(`${text}\n`);
    const line = await this.#lines.next();
    if (line.done) throw new Error(`child ended during turn ${text}: ${this.#stderr}`);
    return JSON.parse(line.value) as AgentInputItem[][];
  }

  /** Ends its input; answers its exit code. */
  end(): Promise<number | null> {
    this.#child.stdin.end();
    return this.#exited;
  }
}

describe.skipIf(!url)('AgentsSession across processes', () => {
  let client: Redis;

  beforeAll(async () => {
    client = new Redis(url!);
    await bundleChild('test/frameworks/openai-child.ts', dir);
  });

  afterAll(async () => {
    await removePrefix(client, prefix);
    await client.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two processes taking turns on one conversation each see exactly the whole conversation', async () => {
    const id = `chat-${randomUUID()}`;
    const reference = new MemorySession();
    const texts = ['Paris', 'Oslo', 'Lima', 'Rome', 'Kyiv', 'Baku', 'Quito'];
    const order = [0, 1, 1, 0, 0, 1, 0]; // turns in a row too: a player's cached history, then the other's writes
    const players = [new Player(id), new Player(id)];
    for (const [turn, text] of texts.entries()) {
      const expected = await playTurn(reference, text);
      const seen = await players[order[turn]!]!.turn(text);
      expect(seen, `turn ${turn + 1}`).toEqual(expected);
      expect(seen[0]!.length).toBe(4 * turn + 1);
    }
    expect(await Promise.all(players.map((player) => player.end()))).toEqual([0, 0]);
    const manager = new SessionManager<unknown, unknown>({ store: new RedisStore({ client, prefix }) });
    expect(await new AgentsSession(manager, id).getItems()).toEqual(await reference.getItems());
    expect(await manager.get(id)).toMatchObject({ itemCount: 4 * texts.length, version: texts.length });
  });
});
