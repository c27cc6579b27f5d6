/**
 * A real LangGraph StateGraph over SessionsSaver: an interrupt waiting for a human, resumed by
 * another process through Redis, then time travel to an earlier checkpoint; and the count of
 * what the store holds after many steps, each channel value stored once per version.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from '@langchain/langgraph';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisStore } from '../../adapters/redis/index.js';
import { SessionsSaver } from '../../frameworks/langgraph/index.js';
import { SessionManager } from '../../src/index.js';
import { removePrefix, uniquePrefix } from '../adapters/redis-helpers.js';
import { bundleChild } from '../helpers/bundle-child.js';
import { counterGraph, reviewGraph } from './langgraph-graph.js';

const url = inject('redisUrl');

/** The value of the interrupt a graph's run stopped at (LangGraph adds `__interrupt__` to the state it returns). */
function question(state: object): unknown {
  return (state as { __interrupt__?: { value: unknown }[] }).__interrupt__?.[0]?.value;
}

/** The checkpoint where the review waits, the newest one whose next node is `review`. */
async function reviewCheckpoint(graph: ReturnType<typeof reviewGraph>, thread: string) {
  for await (const snapshot of graph.getStateHistory({ configurable: { thread_id: thread } })) {
    if (snapshot.next[0] === 'review') return snapshot.config;
  }
  throw new Error('no checkpoint waits for the review');
}

describe('a StateGraph with an interrupt over a MemoryStore', () => {
  it('interrupts, resumes with the answer, and replays from an earlier checkpoint into a new branch', async () => {
    const graph = reviewGraph(new SessionsSaver(new SessionManager()));
    const config = { configurable: { thread_id: 'review-1' } };

    const waiting = await graph.invoke({ topic: 'otters' }, config);
    expect(question(waiting)).toEqual({ question: 'publish 1 step(s)?' });
    expect((await graph.getState(config)).next).toEqual(['review']);

    const done = await graph.invoke(new Command({ resume: 'yes' }), config);
    expect(done.steps).toEqual(['draft about otters', 'review: yes', 'published']);

    // time travel: run again from the checkpoint that waited for the review
    const earlier = await reviewCheckpoint(graph, 'review-1');
    const again = await graph.invoke(null, earlier);
    expect(question(again)).toEqual({ question: 'publish 1 step(s)?' });
    const branch = await graph.invoke(new Command({ resume: 'no' }), config);
    expect(branch.steps).toEqual(['draft about otters', 'review: no', 'dropped']);

    const history = [];
    for await (const snapshot of graph.getStateHistory(config)) history.push(snapshot.values.steps);
    expect(history).toContainEqual(['draft about otters', 'review: yes', 'published']);
    expect(history[0]).toEqual(['draft about otters', 'review: no', 'dropped']);
  });
});

describe('channel values stored once per version', () => {
  it('after 20 steps that never change topic, the log holds topic once and one value of n per step', async () => {
    const manager = new SessionManager();
    const graph = counterGraph(new SessionsSaver(manager, { prefix: 'lg:' }), 20);
    const config = { configurable: { thread_id: 'counter' } };
    expect(await graph.invoke({ topic: 'the weather', n: 0 }, config)).toEqual({ topic: 'the weather', n: 20 });

    const page = await manager.items('lg:counter', { limit: 1000 });
    const items = page!.items.map((item) => item.data as { kind: string; channel?: string });
    const checkpoints = items.filter((item) => item.kind === 'checkpoint').length;
    const values = (channel: string) => items.filter((item) => item.kind === 'value' && item.channel === channel).length;
    expect(checkpoints).toBe(22); // the input, the step that reads it, and one per count
    expect(values('topic')).toBe(1);
    expect(values('n')).toBe(21); // the input's 0, then 1…20

    // and every checkpoint still reads back whole
    const states = [];
    for await (const snapshot of graph.getStateHistory(config)) states.push(snapshot.values);
    expect(states).toHaveLength(22);
    expect(states.slice(0, 21).every((values) => values.topic === 'the weather')).toBe(true);
    expect(states.slice(0, 21).map((values) => values.n)).toEqual(Array.from({ length: 21 }, (_, i) => 20 - i));
  });
});

describe.skipIf(!url)('a StateGraph with an interrupt over Redis, across processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-sessions-langgraph-'));
  const child = join(dir, 'child.cjs');
  const prefix = uniquePrefix('langgraph-graph');
  let client: Redis;
  let manager: SessionManager;

  /** Resumes `thread` with `answer` in a child process; its final state. */
  function resumeElsewhere(thread: string, answer: string): Promise<{ steps: string[] }> {
    return new Promise((resolve, reject) => {
      const args = [child, url!, prefix, thread, answer];
      execFile(process.execPath, args, { timeout: 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
        if (err) reject(new Error(`child failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as { steps: string[] });
      });
    });
  }

  beforeAll(async () => {
    client = new Redis(url!);
    manager = new SessionManager({ store: new RedisStore({ client, prefix }) });
    await bundleChild('test/frameworks/langgraph-child.ts', dir);
  }, 120_000);

  afterAll(async () => {
    await new SessionsSaver(manager).deleteThread('review-redis'); // its items too, even after a failure
    await removePrefix(client, prefix);
    await client.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  it('another process resumes the interrupt; this one goes back to the review and another answers it differently', async () => {
    const graph = reviewGraph(new SessionsSaver(manager));
    const config = { configurable: { thread_id: 'review-redis' } };
    const waiting = await graph.invoke({ topic: 'otters' }, config);
    expect(question(waiting)).toEqual({ question: 'publish 1 step(s)?' });

    const done = await resumeElsewhere('review-redis', 'yes');
    expect(done.steps).toEqual(['draft about otters', 'review: yes', 'published']);
    expect((await graph.getState(config)).values.steps).toEqual(done.steps);

    const earlier = await reviewCheckpoint(graph, 'review-redis');
    const again = await graph.invoke(null, earlier);
    expect(question(again)).toEqual({ question: 'publish 1 step(s)?' });
    const branch = await resumeElsewhere('review-redis', 'no');
    expect(branch.steps).toEqual(['draft about otters', 'review: no', 'dropped']);
    expect((await graph.getState(config)).values.steps).toEqual(branch.steps);

    await new SessionsSaver(manager).deleteThread('review-redis');
    expect((await graph.getState(config)).values).toEqual({});
    expect((await manager.list({ prefix: 'langgraph:' })).sessions).toEqual([]);
  });
});
