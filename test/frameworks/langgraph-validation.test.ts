/**
 * LangGraph's published checkpointer suite, `validate()` from
 * @langchain/langgraph-checkpoint-validation, run against SessionsSaver over a MemoryStore and
 * over a RedisStore. The suite calls vitest's `describe`/`it`/`expect` as globals, so this file
 * lends it vitest's own before calling it (no `globals: true` for the other test files).
 */
import * as vitest from 'vitest';
import { deltaChannelHistoryTests, validate, type CheckpointSaverTestInitializer } from '@langchain/langgraph-checkpoint-validation';
import { Redis } from 'ioredis';
import { RedisStore } from '../../adapters/redis/index.js';
import { MemoryStore, SessionManager } from '../../src/index.js';
import { SessionsSaver } from '../../frameworks/langgraph/index.js';
import { removePrefix, uniquePrefix } from '../adapters/redis-helpers.js';

const { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } = vitest;
Object.assign(globalThis, { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it });

const managers = new WeakMap<SessionsSaver, SessionManager>();

/** Removes every session a saver's manager holds (its items with them). */
async function clearAll(saver: SessionsSaver): Promise<void> {
  const manager = managers.get(saver)!;
  for (let cursor: string | null | undefined; cursor !== null; ) {
    const page = await manager.list({ fields: 'meta', limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const { id } of page.sessions) await manager.clear(id);
    cursor = page.nextCursor;
  }
}

describe('over a MemoryStore', () => {
  const initializer: CheckpointSaverTestInitializer<SessionsSaver> = {
    checkpointerName: 'agent-sessions',
    createCheckpointer() {
      const manager = new SessionManager({ store: new MemoryStore() });
      const saver = new SessionsSaver(manager);
      managers.set(saver, manager);
      return saver;
    },
    async destroyCheckpointer(saver) {
      await managers.get(saver)!.close();
    },
  };
  validate(initializer);
  // opt-in cases the package keeps out of validate() (a Beta method every saver inherits)
  deltaChannelHistoryTests(initializer);
});

const url = inject('redisUrl');

describe.skipIf(!url)('over a RedisStore', () => {
  let client: Redis;
  const prefixes: string[] = [];

  const initializer: CheckpointSaverTestInitializer<SessionsSaver> = {
    checkpointerName: 'agent-sessions',
    beforeAll() {
      client = new Redis(url!);
    },
    async afterAll() {
      for (const prefix of prefixes) await removePrefix(client, prefix);
      await client.quit();
    },
    createCheckpointer() {
      // a prefix per checkpointer: each gets a store of its own, as the suite expects,
      const prefix = uniquePrefix('langgraph');
      prefixes.push(prefix);
      // and a client of its own, closed with it
      const manager = new SessionManager({ store: new RedisStore({ url: url!, prefix }) });
      const saver = new SessionsSaver(manager);
      managers.set(saver, manager);
      return saver;
    },
    async destroyCheckpointer(saver) {
      await clearAll(saver);
      await managers.get(saver)!.close();
    },
  };
  validate(initializer);
  deltaChannelHistoryTests(initializer);
});

